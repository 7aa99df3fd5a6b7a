"""The same races through the national interface, over HTTP: a 2601 for msgid M before the
2102 with msgid M refuses the 2102; eight 2102 sales for one person at once all settle (no
deadlock, no INTERNAL)."""

from __future__ import annotations

from collections import Counter

from gongji.services.wallet import service as wallet
from tests.clinic import Clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.gateway.conftest import His
from tests.gateway.test_transactions import purchase
from tests.races.barrier import together


def balance(clinic: Clinic) -> int:
    return wallet.get(clinic.app, OPERATOR, clinic.fam["张伟"].psn_no).personal_account


def test_2601_before_its_2102_refuses_the_2102(pos: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    late = pos.envelope("2102", purchase(clinic, trace()))
    out = pos.ok("2601", {"data": {"psn_no": zw.psn_no, "omsgid": late["msgid"],
                                   "oinfno": "2102"}})
    assert out["result"] == "nothing took effect"
    before, counts = balance(clinic), table_counts(clinic.app.db)
    refused = pos.send(late)
    assert refused["infcode"] == -1 and refused["err_code"] == "MESSAGE_REVERSED", refused
    assert "冲正" in refused["err_msg"]
    assert balance(clinic) == before
    counts_after = table_counts(clinic.app.db)
    assert counts_after.pop("request_nonces") == counts.pop("request_nonces") + 1
    assert counts_after.pop("conformance_messages", 0) >= counts.pop("conformance_messages", 0)
    assert counts_after == counts


def test_eight_2102_for_one_person_at_once(pos: His, clinic: Clinic) -> None:
    before = balance(clinic)
    bodies = [pos.envelope("2102", purchase(clinic, trace())) for _ in range(8)]
    answers = together(*[lambda b=b: pos.send(b) for b in bodies])  # type: ignore[misc]
    codes = Counter(a["infcode"] if isinstance(a, dict) else repr(a) for a in answers)
    assert codes == {0: 8}, answers
    assert before - balance(clinic) == 8 * 20_00
