"""A gateway message's nonce commits with the message's own write (one commit per message,
not two: Gongji.riding), and still holds as before: a refused or read-only message burns its
nonce, a replay writes nothing, and of many messages sent at once with one nonce exactly one
takes effect."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import Connection

from gongji.client.signing import signed_headers
from gongji.services.wallet import service as wallet
from tests.clinic import Clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.gateway.conftest import PATH, WALL, His
from tests.gateway.test_transactions import purchase
from tests.races.barrier import together


def send(his: His, body: dict[str, Any], nonce: str) -> dict[str, Any]:
    """Sign with a nonce of our choosing (a replayed or copied request)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = signed_headers(his.key_id, his.secret, "POST", PATH, data,
                             timestamp=int(WALL.timestamp()), nonce=nonce)
    r = his.c.post(PATH, content=data, headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def balance(clinic: Clinic) -> int:
    return wallet.get(clinic.app, OPERATOR, clinic.fam["张伟"].psn_no).personal_account


@pytest.fixture
def write_transactions(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many write transactions the database opened."""
    db = clinic.app.db
    real: Callable[[], AbstractContextManager[Connection]] = db.begin
    opened: list[int] = []

    def counting() -> AbstractContextManager[Connection]:
        opened.append(1)
        return real()

    monkeypatch.setattr(db, "begin", counting)
    yield opened


def test_a_sale_commits_once(pos: His, clinic: Clinic, write_transactions: list[int]) -> None:
    before = balance(clinic)
    write_transactions.clear()
    sold = send(pos, pos.envelope("2102", purchase(clinic, trace())), "nonce-sale-1")
    assert sold["infcode"] == 0, sold
    assert len(write_transactions) == 1
    assert before - balance(clinic) == 20_00
    again = send(pos, pos.envelope("2102", purchase(clinic, trace())), "nonce-sale-1")
    assert again["err_code"] == "NONCE_REUSED"
    assert before - balance(clinic) == 20_00


def test_a_refused_message_burns_its_nonce(pos: His, clinic: Clinic) -> None:
    code = trace()
    assert send(pos, pos.envelope("2102", purchase(clinic, code)), "nonce-aaaa")["infcode"] == 0
    counts = table_counts(clinic.app.db)
    refused = send(pos, pos.envelope("2102", purchase(clinic, code)), "nonce-bbbb")
    assert refused["err_code"] == "TRACE_CODE_SOLD"
    after = table_counts(clinic.app.db)
    assert after.pop("request_nonces") == counts.pop("request_nonces") + 1
    assert after.pop("conformance_messages", 0) >= counts.pop("conformance_messages", 0)
    assert after == counts
    # the same nonce again, on a message that would now succeed: still a replay
    replay = send(pos, pos.envelope("2102", purchase(clinic, trace())), "nonce-bbbb")
    assert replay["err_code"] == "NONCE_REUSED"


def test_a_read_burns_its_nonce(pos: His, clinic: Clinic,
                                write_transactions: list[int]) -> None:
    ask = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": clinic.fam["张伟"].certno,
                    "psn_cert_type": "01", "certno": clinic.fam["张伟"].certno}}
    write_transactions.clear()
    assert send(pos, pos.envelope("1101", ask), "nonce-read")["infcode"] == 0
    assert len(write_transactions) == 1                 # the nonce, on its own
    assert send(pos, pos.envelope("1101", ask), "nonce-read")["err_code"] == "NONCE_REUSED"


@pytest.mark.parametrize("n", [2, 40])
def test_one_nonce_at_once_takes_effect_once(pos: His, clinic: Clinic, n: int) -> None:
    """n sales signed with one nonce (each its own msgid and trace code) race: one settles,
    every other is NONCE_REUSED, and the balance moves once."""
    before = balance(clinic)
    bodies = [pos.envelope("2102", purchase(clinic, trace())) for _ in range(n)]
    answers = together(*[lambda b=b: send(pos, b, f"nonce-race-{n}")  # type: ignore[misc]
                         for b in bodies])
    codes = Counter(a.get("err_code") or a["infcode"] if isinstance(a, dict) else repr(a)
                    for a in answers)
    assert codes == {0: 1, "NONCE_REUSED": n - 1}, answers
    assert before - balance(clinic) == 20_00
