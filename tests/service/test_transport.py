"""Transport profiles and credentials at the service door, on both databases: rotation,
token expiry at the second, secrets sealed at rest, operators only, idempotent issue."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gongji.domain.access import Principal
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import GongjiError
from gongji.domain.institutions import sign
from gongji.domain.transport import TOKEN_SECONDS, tif_signature
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.sealing import Sealer
from gongji.services.transport import service as transport
from gongji.services.transport.model import IssueCredential, SetTransport
from gongji.store.db import Database
from gongji.store.tables import institution_keys, oauth_tokens, transport_credentials
from tests.clinic import CLINIC, open_clinic
from tests.conftest import OPERATOR, refused, table_counts
from tests.family import key, make_family

WALL = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture
def wall() -> FixedClock:
    return FixedClock(WALL)


@pytest.fixture
def gw(database: Database, clock: FixedClock, wall: FixedClock) -> Gongji:
    app = Gongji(database, clock, wall=wall)
    open_clinic(make_family(app))
    return app


def tif_headers(paasid: str, token: str, nonce: str, at: datetime) -> dict[str, str]:
    ts = str(int(at.timestamp()))
    return {"x-tif-paasid": paasid, "x-tif-timestamp": ts, "x-tif-nonce": nonce,
            "x-tif-signature": tif_signature(ts, token, nonce)}


def admit(app: Gongji, headers: dict[str, str]) -> str:
    return transport.admit(app, headers=headers, method="POST", path="/x", body=b"{}"
                           ).principal.id


def test_rotation_issue_then_revoke(gw: Gongji) -> None:
    transport.set_profile(gw, OPERATOR, key(), CLINIC, SetTransport(scheme="tif"))
    old = transport.issue(gw, OPERATOR, key(), CLINIC, IssueCredential("tif")).value
    new = transport.issue(gw, OPERATOR, key(), CLINIC, IssueCredential("tif")).value
    assert old.secret and new.secret and old.secret != new.secret
    assert admit(gw, tif_headers(old.principal, old.secret, "old-nonce-1", WALL)) == CLINIC
    assert admit(gw, tif_headers(new.principal, new.secret, "new-nonce-1", WALL)) == CLINIC
    transport.revoke(gw, OPERATOR, key(), CLINIC, old.credential_id)
    with pytest.raises(GongjiError) as e:
        admit(gw, tif_headers(old.principal, old.secret, "old-nonce-2", WALL))
    assert e.value.code == "SIGNATURE_INVALID"
    assert admit(gw, tif_headers(new.principal, new.secret, "new-nonce-2", WALL)) == CLINIC
    shown = transport.get(gw, OPERATOR, CLINIC)
    assert {c.credential_id: c.revoked_at is not None for c in shown.credentials} == \
        {old.credential_id: True, new.credential_id: False}


def test_an_oauth2_token_lives_its_seconds_exactly(gw: Gongji, wall: FixedClock) -> None:
    transport.set_profile(gw, OPERATOR, key(), CLINIC, SetTransport(scheme="oauth2"))
    c = transport.issue(gw, OPERATOR, key(), CLINIC, IssueCredential(
        "oauth2", principal="his-h2", password="a long enough pass")).value
    assert c.secret == "a long enough pass"
    token = transport.grant(gw, username="his-h2", password=c.secret)
    assert token.expires_in == TOKEN_SECONDS
    bearer = {"authorization": f"Bearer {token.access_token}"}
    wall.set(WALL + timedelta(seconds=TOKEN_SECONDS - 1))
    assert admit(gw, bearer) == CLINIC
    wall.set(WALL + timedelta(seconds=TOKEN_SECONDS))
    with pytest.raises(GongjiError) as e:
        admit(gw, bearer)
    assert e.value.code == "TRANSPORT_TOKEN_INVALID"


def test_a_wrong_password_and_an_unknown_name_are_refused_alike(gw: Gongji) -> None:
    transport.issue(gw, OPERATOR, key(), CLINIC, IssueCredential(
        "oauth2", principal="his-h3", password="the right password"))
    for name, pw in (("his-h3", "the wrong password"), ("nobody", "the right password")):
        with pytest.raises(GongjiError) as e:
            transport.grant(gw, username=name, password=pw)
        assert e.value.code == "UNAUTHENTICATED"


def test_secrets_are_sealed_at_rest(gw: Gongji) -> None:
    t = transport.issue(gw, OPERATOR, key(), CLINIC, IssueCredential("tif")).value
    o = transport.issue(gw, OPERATOR, key(), CLINIC, IssueCredential("oauth2")).value
    k = institutions.create_key(gw, OPERATOR, CLINIC)
    transport.set_profile(gw, OPERATOR, key(), CLINIC, SetTransport(scheme="oauth2"))
    token = transport.grant(gw, username=o.principal, password=o.secret or "").access_token
    with gw.db.read() as conn:
        stored = [str(v) for row in conn.execute(select(transport_credentials)) for v in row]
        stored += [str(v) for row in conn.execute(select(institution_keys)) for v in row]
        stored += [str(v) for row in conn.execute(select(oauth_tokens)) for v in row]
    text = "\n".join(stored)
    for secret in (t.secret, o.secret, k.secret, token):
        assert secret and secret not in text
    assert "$argon2id$" in text  # the password is only hashed


def test_a_sealed_secret_opens_only_with_its_server_key_and_row(database: Database,
                                                               clock: FixedClock) -> None:
    one = Sealer.ephemeral()
    sealed = one.seal("the token", context="tc_1")
    assert one.open(sealed, context="tc_1") == "the token"
    with pytest.raises(ValueError):
        one.open(sealed, context="tc_2")  # copied to another row
    with pytest.raises(ValueError):
        Sealer.ephemeral().open(sealed, context="tc_1")  # another server's key
    # two services over one database (two processes) share the key beside it
    a, b = Gongji(database, clock), Gongji(database, clock)
    assert b.sealer.open(a.sealer.seal("x", context="c"), context="c") == "x"


def test_a_key_made_before_sealing_still_signs(gw: Gongji) -> None:
    """institution_keys rows of before 0006 hold the secret as plain hex."""
    k = institutions.create_key(gw, OPERATOR, CLINIC)
    with gw.db.begin() as conn:
        conn.execute(institution_keys.update().where(institution_keys.c.key_id == k.key_id)
                     .values(secret=k.secret))
    ts, nonce = str(int(WALL.timestamp())), "legacy-nonce-1"
    assert transport.admit(gw, headers={
        "x-gongji-key": k.key_id, "x-gongji-timestamp": ts, "x-gongji-nonce": nonce,
        "x-gongji-signature": sign(k.secret, ts, nonce, "POST", "/x", b"{}")},
        method="POST", path="/x", body=b"{}").principal.id == CLINIC


def test_issue_is_idempotent_and_a_replay_shows_no_secret(gw: Gongji) -> None:
    k = key()
    first = transport.issue(gw, OPERATOR, k, CLINIC, IssueCredential("esb"))
    again = transport.issue(gw, OPERATOR, k, CLINIC, IssueCredential("esb"))
    assert first.value.secret and not first.replayed
    assert again.replayed and again.value.secret is None
    assert again.value.credential_id == first.value.credential_id
    assert len(transport.get(gw, OPERATOR, CLINIC).credentials) == 1


@pytest.mark.parametrize("who", [Principal("institution", CLINIC), Principal("person", "P1")])
def test_only_operators_set_profiles_and_credentials(gw: Gongji, who: Principal) -> None:
    for call in (lambda: transport.set_profile(gw, who, key(), CLINIC, SetTransport()),
                 lambda: transport.issue(gw, who, key(), CLINIC, IssueCredential("tif")),
                 lambda: transport.get(gw, who, CLINIC)):
        refused(gw.db, "FORBIDDEN", call)


def test_bad_commands_write_nothing(gw: Gongji) -> None:
    transport.issue(gw, OPERATOR, key(), CLINIC, IssueCredential("tif", principal="paas-1"))
    for code, call in (
            ("TRANSPORT_PRINCIPAL_TAKEN", lambda: transport.issue(
                gw, OPERATOR, key(), CLINIC, IssueCredential("tif", principal="paas-1"))),
            ("VALIDATION_ERROR", lambda: transport.issue(
                gw, OPERATOR, key(), CLINIC, IssueCredential("sm", peer_public="04" + "0" * 128))),
            ("VALIDATION_ERROR", lambda: transport.issue(
                gw, OPERATOR, key(), CLINIC, IssueCredential("oauth2", password="short"))),
            ("VALIDATION_ERROR", lambda: transport.set_profile(
                gw, OPERATOR, key(), CLINIC, SetTransport(scheme="basic"))),  # type: ignore[arg-type]
            ("INSTITUTION_NOT_FOUND", lambda: transport.issue(
                gw, OPERATOR, key(), "H99999999999", IssueCredential("tif"))),
            ("TRANSPORT_CREDENTIAL_NOT_FOUND", lambda: transport.revoke(
                gw, OPERATOR, key(), CLINIC, "tc_none"))):
        before = table_counts(gw.db)
        refused(gw.db, code, call)
        assert table_counts(gw.db) == before
