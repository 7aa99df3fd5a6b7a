"""冲正 and the late original: a reversal of a message that has not (yet) taken effect leaves a
tombstone, so the original arriving later is refused; a reversal racing its original ends
"undone" or "never happened", never "not found" with the charge standing. Reversing what is
already undone succeeds doing nothing, however many reversals race."""

from __future__ import annotations

from collections import Counter

import pytest

from gongji.domain.errors import GongjiError
from gongji.ledger.verify import verify
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.wallet import service as wallet
from tests.clinic import D_B, HOSPITAL, PHARMACY, Clinic, open_clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.family import key, make_family
from tests.races.barrier import together

ROUNDS = 6


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    return open_clinic(make_family(app))


def sale(clinic: Clinic, msgid: str, name: str = "张伟", code: str | None = None
         ) -> svc.SettlementView:
    """A pharmacy's one-step sale (2102) whose national msgid is msgid."""
    m = clinic.fam[name]
    cred = svc.Credential("02", m.certno)
    line = svc.FeeIn("1", D_B, "1", "20.00", 20_00, trace_codes=(code or trace(),))
    return svc.purchase(clinic.app, clinic.inst(PHARMACY), msgid,
                        svc.OpenVisit(credential=cred, insutype="310", med_type="41"),
                        (line,), svc.SettleAsk(credential=cred, medins_setl_id=msgid)).value


def reverse(clinic: Clinic, omsgid: str, kind: svc.MessageKind = "purchase",
            at: str = PHARMACY) -> svc.Reversal:
    return svc.reverse_by_msgid(clinic.app, clinic.inst(at), key("r"), omsgid, kind).value


def balance(clinic: Clinic, name: str = "张伟") -> int:
    return wallet.get(clinic.app, OPERATOR, clinic.fam[name].psn_no).personal_account


def test_a_reversal_before_its_original_refuses_the_original(clinic: Clinic) -> None:
    before = balance(clinic)
    r = reverse(clinic, "M-late")
    assert r.outcome == "nothing"
    counts = table_counts(clinic.app.db)
    with pytest.raises(GongjiError) as e:
        sale(clinic, "M-late")
    assert e.value.code == "MESSAGE_REVERSED"
    assert table_counts(clinic.app.db) == counts
    assert balance(clinic) == before
    # the tombstone is durable and answers alike for a second reversal
    assert reverse(clinic, "M-late").outcome in ("nothing", "already_undone")


def test_a_reversed_settlement_id_cannot_settle_later(clinic: Clinic) -> None:
    """The REST form: reverse {"medins_setl_id": X} first, a settle naming X later."""
    assert reverse(clinic, "X-1", "settlement", at=HOSPITAL).outcome == "nothing"
    v = clinic.visit("张伟")
    clinic.fees(v, ("310000000000001", "1", "100"))
    with pytest.raises(GongjiError) as e:
        clinic.settle(v, "张伟", medins_setl_id="X-1")
    assert e.value.code == "MESSAGE_REVERSED"
    assert clinic.settle(v, "张伟", medins_setl_id="X-2").setl_id  # the visit is unharmed


def test_a_reversed_visit_message_cannot_open_later(clinic: Clinic) -> None:
    m = clinic.fam["张伟"]
    assert reverse(clinic, "V-late", "visit").outcome == "nothing"
    with pytest.raises(GongjiError) as e:
        svc.open_visit(clinic.app, clinic.inst(PHARMACY), "V-late", svc.OpenVisit(
            credential=svc.Credential("02", m.certno), insutype="310", med_type="41"))
    assert e.value.code == "MESSAGE_REVERSED"


def test_reversal_racing_its_original(clinic: Clinic) -> None:
    start = balance(clinic)
    outcomes: Counter[str] = Counter()
    for i in range(ROUNDS):
        msgid, code = f"RACE-{i}", trace()
        sold, rev = together(lambda m=msgid, c=code: sale(clinic, m, code=c),  # type: ignore[misc]
                             lambda m=msgid: reverse(clinic, m))  # type: ignore[misc]
        assert isinstance(rev, svc.Reversal), rev
        if isinstance(sold, svc.SettlementView):
            assert rev.outcome == "undone", (i, rev)
            outcomes["sold then undone"] += 1
        else:
            assert isinstance(sold, GongjiError) and sold.code == "MESSAGE_REVERSED", sold
            assert rev.outcome == "nothing", (i, rev)
            outcomes["never happened"] += 1
        # whichever way it went, the patient is not charged and a late resend of the very same
        # message changes nothing: refused if it never happened, its first answer replayed if
        # it was undone (the settlement it names stays cancelled)
        assert balance(clinic) == start
        counts = table_counts(clinic.app.db)
        try:
            again = sale(clinic, msgid, code=code)
        except GongjiError as e:
            assert e.code == "MESSAGE_REVERSED" and not isinstance(sold, svc.SettlementView), e
        else:
            assert isinstance(sold, svc.SettlementView) and again.setl_id == sold.setl_id
            assert svc.get(clinic.app, OPERATOR, sold.setl_id).status == "cancelled"
        assert balance(clinic) == start
        assert table_counts(clinic.app.db) == counts
    assert sum(outcomes.values()) == ROUNDS
    with clinic.app.db.read() as conn:
        assert verify(conn).ok


def test_resending_an_undone_message_charges_nothing(clinic: Clinic) -> None:
    """Sold, then reversed: the very same message again replays its first answer and charges
    nothing; the msgid with another body is refused as a conflict."""
    before, code = balance(clinic), trace()
    sold = sale(clinic, "M-undone", code=code)
    assert reverse(clinic, "M-undone").outcome == "undone"
    counts = table_counts(clinic.app.db)
    assert sale(clinic, "M-undone", code=code).setl_id == sold.setl_id
    with pytest.raises(GongjiError) as e:
        sale(clinic, "M-undone")
    assert e.value.code == "IDEMPOTENCY_CONFLICT"
    assert balance(clinic) == before
    assert table_counts(clinic.app.db) == counts
    assert svc.get(clinic.app, OPERATOR, sold.setl_id).status == "cancelled"


def test_concurrent_reversals_of_one_settlement(clinic: Clinic) -> None:
    before = balance(clinic)
    sold = sale(clinic, "M-many")
    assert balance(clinic) < before
    results = together(*[lambda: reverse(clinic, "M-many") for _ in range(8)])
    assert all(isinstance(r, svc.Reversal) for r in results), results
    assert Counter(r.outcome for r in results) == {"undone": 1, "already_undone": 7}
    assert balance(clinic) == before
    assert svc.get(clinic.app, OPERATOR, sold.setl_id).status == "cancelled"


def test_reversal_racing_a_cancel(clinic: Clinic) -> None:
    before = balance(clinic)
    for i in range(3):
        sold = sale(clinic, f"M-cancel-{i}")
        cancelled, rev = together(
            lambda s=sold: svc.cancel(clinic.app, clinic.inst(PHARMACY), key("c"),  # type: ignore[misc]
                                      s.setl_id).value,
            lambda i=i: reverse(clinic, f"M-cancel-{i}"))  # type: ignore[misc]
        assert isinstance(rev, svc.Reversal), rev
        if isinstance(cancelled, svc.SettlementView):
            assert rev.outcome in ("already_undone", "undone")
        else:  # the reversal came first; cancelling a cancelled settlement is refused
            assert isinstance(cancelled, GongjiError), cancelled
            assert cancelled.code == "SETTLEMENT_NOT_SETTLED" and rev.outcome == "undone"
        assert balance(clinic) == before
    with clinic.app.db.read() as conn:
        assert verify(conn).ok


def test_concurrent_one_shot_sales_for_one_person(clinic: Clinic) -> None:
    """Eight pharmacy sales (2102) for one person at once: all settle, in some order, with no
    deadlock surfacing and no internal error (PostgreSQL once deadlocked here)."""
    before = balance(clinic)
    results = together(*[lambda i=i: sale(clinic, f"M-par-{i}") for i in range(8)])  # type: ignore[misc]
    bad = [r for r in results if not isinstance(r, svc.SettlementView)]
    assert not bad, bad
    assert before - balance(clinic) == sum(r.acct_pay for r in results)
    assert len({r.setl_id for r in results}) == 8
