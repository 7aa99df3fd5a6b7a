"""Transport checks under concurrency, on both databases: a TIF nonce (or a service-bus
signature) sent by many requests at once admits exactly one; a revoked OAuth2 credential
admits nothing afterwards, however many requests race the revocation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import GongjiError
from gongji.domain.transport import esb_signature, tif_signature
from gongji.services.runtime import Gongji
from gongji.services.transport import service as transport
from gongji.services.transport.model import IssueCredential, SetTransport
from gongji.store.db import Database
from tests.clinic import CLINIC, open_clinic
from tests.conftest import OPERATOR
from tests.family import key, make_family

WALL = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)
TS = str(int(WALL.timestamp()))


@pytest.fixture
def gw(database: Database, clock: FixedClock) -> Gongji:
    app = Gongji(database, clock, wall=FixedClock(WALL))
    open_clinic(make_family(app))
    return app


def at_once(n: int, fn: Callable[[], Any]) -> tuple[list[Any], list[GongjiError]]:
    done: list[Any] = []
    refused: list[GongjiError] = []
    other: list[BaseException] = []
    start = threading.Barrier(n)

    def worker() -> None:
        try:
            start.wait()
            done.append(fn())
        except GongjiError as e:
            refused.append(e)
        except BaseException as e:  # surfaced below
            other.append(e)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not other, other
    return done, refused


@pytest.mark.parametrize("n", [2, 40])
def test_one_tif_nonce_admits_once(gw: Gongji, n: int) -> None:
    transport.set_profile(gw, OPERATOR, key("p"), CLINIC, SetTransport(scheme="tif"))
    c = transport.issue(gw, OPERATOR, key("c"), CLINIC, IssueCredential("tif")).value
    assert c.secret is not None
    nonce = f"race{n:04d}nonce"
    headers = {"x-tif-paasid": c.principal, "x-tif-timestamp": TS, "x-tif-nonce": nonce,
               "x-tif-signature": tif_signature(TS, c.secret, nonce)}
    done, refused = at_once(n, lambda: transport.admit(gw, headers=headers, method="POST",
                                                       path="/x", body=b"{}"))
    assert len(done) == 1 and done[0].principal.id == CLINIC
    assert len(refused) == n - 1 and {e.code for e in refused} == {"NONCE_REUSED"}


def test_one_bus_signature_admits_once(gw: Gongji) -> None:
    transport.set_profile(gw, OPERATOR, key("p"), CLINIC, SetTransport(scheme="esb"))
    c = transport.issue(gw, OPERATOR, key("c"), CLINIC, IssueCredential("esb")).value
    assert c.secret is not None
    fields = {"_api_access_key": c.principal, "_api_name": "callService",
              "_api_version": "1.0", "_api_timestamp": TS + "000"}
    headers = fields | {"_api_signature": esb_signature(c.secret, fields)}
    done, refused = at_once(20, lambda: transport.admit(gw, headers=headers, method="POST",
                                                        path="/x", body=b"{}"))
    assert len(done) == 1 and {e.code for e in refused} == {"NONCE_REUSED"}


def test_nothing_is_admitted_after_a_revocation_lands(gw: Gongji) -> None:
    transport.set_profile(gw, OPERATOR, key("p"), CLINIC, SetTransport(scheme="oauth2"))
    c = transport.issue(gw, OPERATOR, key("c"), CLINIC, IssueCredential("oauth2")).value
    assert c.secret is not None
    token = transport.grant(gw, username=c.principal, password=c.secret).access_token
    headers = {"authorization": f"Bearer {token}"}

    def admit_or_revoke(i: list[int] = [0]) -> Any:  # noqa: B006 - a shared counter
        i[0] += 1
        if i[0] == 10:
            return transport.revoke(gw, OPERATOR, key("r"), CLINIC, c.credential_id)
        return transport.admit(gw, headers=headers, method="POST", path="/x", body=b"{}")

    at_once(20, admit_or_revoke)
    with pytest.raises(GongjiError) as e:
        transport.admit(gw, headers=headers, method="POST", path="/x", body=b"{}")
    assert e.value.code == "TRANSPORT_TOKEN_INVALID"
    with pytest.raises(GongjiError):
        transport.grant(gw, username=c.principal, password=c.secret)
