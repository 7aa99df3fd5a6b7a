"""The wallet, bindings and transfers: every rule at its boundary, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.documents import Document
from gongji.domain.errors import GongjiError
from gongji.ledger.kinds import AccountKind
from gongji.services.family import service as family
from gongji.services.ledger import service as ledger
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import UnitOfWork
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from tests.conftest import OPERATOR, refused, table_counts
from tests.family import PIN, Family, key, make_family

AMOUNT = 2000_00


@pytest.fixture
def fam(app: Gongji) -> Family:
    return make_family(app)


@pytest.fixture
def bound(fam: Family) -> Family:
    """张伟 and his mother have wallets and an active binding (he sponsors her)."""
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    return fam


def send(fam: Family, amount: int = AMOUNT, *, to: str = "李秀英", pin: str = PIN,
         k: str | None = None) -> transfers.TransferView:
    return transfers.send(fam.app, fam["张伟"].who, k or key("t"),
                          transfers.SendTransfer(fam[to].psn_no, amount), pin).value


def accept(fam: Family, t: transfers.TransferView, who: str = "李秀英") -> str:
    return transfers.respond(fam.app, fam[who].who, key("a"), t.id, "accept").value.status




def balances(fam: Family) -> dict[str, int]:
    w = wallet.get(fam.app, OPERATOR, fam["张伟"].psn_no)
    m = wallet.get(fam.app, OPERATOR, fam["李秀英"].psn_no)
    return {"sponsor": w.personal_account or 0, "quota": m.quota_total}


def upload(app: Gongji, yaml_text: str) -> None:
    app.transact(OPERATOR, lambda uow: app.policies.upload(uow.conn, yaml_text,
                                                           by="test", now=uow.now))


# -- opening -------------------------------------------------------------------------------

def test_open_wallet_defaults_to_the_insured_region(fam: Family, database: Database) -> None:
    fam.open_wallet("张伟")
    w = wallet.get(fam.app, fam["张伟"].who, fam["张伟"].psn_no)
    assert (w.status, w.place_of_use, w.enabled, w.personal_account) == \
        ("open", "510100", True, 12_000_00)
    refused(database, "WALLET_ALREADY_OPEN", lambda: fam.open_wallet("张伟"))


def test_wallet_not_live_in_guangdong(fam: Family, database: Database) -> None:
    err = refused(database, "WALLET_REGION_DISABLED", lambda: fam.open_wallet("张丽"))
    assert err.params["admdvs"] == "440100"
    assert "尚未开通" in err.message and "not live" in err.message_en


def test_place_of_use_where_the_region_allows_it(fam: Family, database: Database) -> None:
    zw = fam["张伟"]
    wallet.open_wallet(fam.app, zw.who, key(), zw.psn_no, "411300")  # Sichuan allows it
    w = wallet.change_place(fam.app, zw.who, key(), zw.psn_no, "510100").value
    assert w.place_of_use == "510100"
    refused(database, "WALLET_REGION_DISABLED", lambda: wallet.change_place(
        fam.app, zw.who, key(), zw.psn_no, "440100"))
    refused(database, "REGION_NOT_FOUND", lambda: wallet.change_place(
        fam.app, zw.who, key(), zw.psn_no, "999999"))
    upload(fam.app, 'region: "510000"\neffective_from: 2026-11-01\n'
                    "wallet: {place_of_use_change: false}\n")
    refused(database, "PLACE_OF_USE_CHANGE_DISABLED", lambda: wallet.change_place(
        fam.app, zw.who, key(), zw.psn_no, "411300"))


def test_a_stranger_cannot_open_or_read_a_wallet(fam: Family, database: Database) -> None:
    wife, mother = fam["王芳"], fam["李秀英"]
    refused(database, "FORBIDDEN", lambda: wallet.open_wallet(
        fam.app, wife.who, key(), mother.psn_no))
    with pytest.raises(GongjiError) as e:
        wallet.get(fam.app, wife.who, fam["张伟"].psn_no)
    assert e.value.code == "FORBIDDEN"


def test_proxy_opens_a_wallet_within_its_limits(fam: Family, database: Database) -> None:
    zw, ma = fam["张伟"], fam["李秀英"]
    p = proxies.request(fam.app, zw.who, key(), proxies.RequestProxy(
        ma.certno, ma.name, "parent")).value
    assert (p.status, p.needs) == ("pending", "consent")
    refused(database, "FORBIDDEN", lambda: wallet.open_wallet(fam.app, zw.who, key(),
                                                              ma.psn_no))
    refused(database, "PROXY_NEEDS_CONSENT", lambda: proxies.decide(
        fam.app, OPERATOR, key(), p.id, True))
    refused(database, "FORBIDDEN", lambda: proxies.decide(fam.app, fam["王芳"].who, key(),
                                                           p.id, True))
    proxies.decide(fam.app, ma.who, key(), p.id, True)
    w = wallet.open_wallet(fam.app, zw.who, key(), ma.psn_no).value  # 代开通
    assert w.status == "open" and w.opened_by_proxy
    assert wallet.get(fam.app, zw.who, ma.psn_no).status == "open"
    refused(database, "PROXY_NOT_ALLOWED", lambda: wallet.close_wallet(
        fam.app, zw.who, key(), ma.psn_no))
    proxies.end(fam.app, ma.who, key(), p.id)
    with pytest.raises(GongjiError):
        wallet.get(fam.app, zw.who, ma.psn_no)


def test_proxy_for_a_minor_needs_an_operator(fam: Family, database: Database) -> None:
    zw, son = fam["张伟"], fam["张小宝"]
    p = proxies.request(fam.app, zw.who, key(), proxies.RequestProxy(
        son.certno, son.name, "child", documents=(
            Document("birth_certificate", "Q510012345"),))).value
    assert p.needs == "operator"
    refused(database, "PROXY_NEEDS_OPERATOR", lambda: proxies.decide(
        fam.app, zw.who, key(), p.id, True))
    assert [q.id for q in proxies.pending_for_operators(fam.app, OPERATOR)] == [p.id]
    assert proxies.decide(fam.app, OPERATOR, key(), p.id, True).value.status == "active"
    refused(database, "PROXY_NOT_PENDING", lambda: proxies.decide(
        fam.app, OPERATOR, key(), p.id, True))
    assert wallet.open_wallet(fam.app, zw.who, key(), son.psn_no).value.opened_by_proxy


def test_proxy_refusals(fam: Family, database: Database) -> None:
    zw, ma = fam["张伟"], fam["李秀英"]
    refused(database, "PROXY_SELF", lambda: proxies.request(
        fam.app, zw.who, key(), proxies.RequestProxy(zw.certno, zw.name, "parent")))
    refused(database, "PERSON_NOT_FOUND", lambda: proxies.request(
        fam.app, zw.who, key(), proxies.RequestProxy(ma.certno, "王五", "parent")))
    refused(database, "RELATION_NOT_CLOSE", lambda: proxies.request(
        fam.app, zw.who, key(), proxies.RequestProxy(ma.certno, ma.name, "parent_in_law")))
    proxies.request(fam.app, zw.who, key(), proxies.RequestProxy(ma.certno, ma.name, "parent"))
    refused(database, "PROXY_EXISTS", lambda: proxies.request(
        fam.app, zw.who, key(), proxies.RequestProxy(ma.certno, ma.name, "parent")))


# -- bindings ------------------------------------------------------------------------------

def test_binding_needs_the_other_side(fam: Family, database: Database) -> None:
    zw, ma = fam["张伟"], fam["李秀英"]
    # the mother asks; the son (sponsor) consents
    b = family.request(fam.app, ma.who, key(), family.RequestBinding(
        zw.certno, zw.name, "beneficiary", "child")).value
    assert (b.sponsor_psn_no, b.beneficiary_psn_no, b.relation, b.status) == \
        (zw.psn_no, ma.psn_no, "parent", "pending")
    assert b.cross_province
    refused(database, "BINDING_CONSENT_BY_OTHER_SIDE", lambda: family.respond(
        fam.app, ma.who, key(), b.id, True))
    # to someone outside it the binding does not exist (an unknown id answers the same)
    refused(database, "BINDING_NOT_FOUND", lambda: family.respond(
        fam.app, fam["王芳"].who, key(), b.id, True))
    refused(database, "BINDING_EXISTS", lambda: family.request(
        fam.app, zw.who, key(), family.RequestBinding(ma.certno, ma.name, "sponsor",
                                                      "parent")))
    assert family.respond(fam.app, zw.who, key(), b.id, True).value.status == "active"
    refused(database, "BINDING_NOT_PENDING", lambda: family.respond(
        fam.app, zw.who, key(), b.id, True))


@pytest.mark.parametrize(("sponsor", "other", "role", "relation", "code"), [
    ("张伟", "张伟", "sponsor", "sibling", "BINDING_SELF"),
    ("张伟", "王芳", "sponsor", "parent_in_law", "RELATION_NOT_CLOSE"),
    ("张伟", "李秀英", "sponsor", "child", "RELATION_IMPLAUSIBLE"),
    ("李秀英", "张伟", "sponsor", "child", "SPONSOR_NOT_ELIGIBLE"),  # a resident has no account
])
def test_binding_refusals(fam: Family, database: Database, sponsor: str, other: str,
                          role: str, relation: str, code: str) -> None:
    o = fam[other]
    refused(database, code, lambda: family.request(fam.app, fam[sponsor].who, key(),
                                                   family.RequestBinding(o.certno, o.name,
                                                                         role, relation)))


def test_relation_range_follows_the_policy_version(fam: Family, database: Database,
                                                   clock: FixedClock) -> None:
    fam.add("张强", born=shanghai(1993, 1, 1).date(), seq=111, insutype="310",
            psn_type="1101", admdvs="510100", credit=100_00)
    upload(fam.app, 'region: "510100"\neffective_from: 2026-11-25\n'
                    "mutual_aid: {relations: [spouse, parent, child]}\n")
    brother = fam["张强"]
    family.request(fam.app, fam["张伟"].who, key(), family.RequestBinding(
        brother.certno, brother.name, "sponsor", "sibling"))  # allowed today
    clock.set(shanghai(2026, 11, 25, 10))
    err = refused(database, "RELATION_NOT_ALLOWED", lambda: family.request(
        fam.app, brother.who, key(), family.RequestBinding(fam["王芳"].certno, "王芳",
                                                           "sponsor", "sibling")))
    assert "sibling" in err.message_en


def test_min_binding_days(bound: Family, database: Database, clock: FixedClock) -> None:
    upload(bound.app, 'region: "510100"\neffective_from: 2026-11-01\n'
                      "mutual_aid: {min_binding_days: 90}\n")
    b = family.list_for(bound.app, OPERATOR, bound["张伟"].psn_no)[0]
    clock.set(b.activated_at + timedelta(days=90) - timedelta(seconds=1))  # type: ignore[operator]
    err = refused(database, "BINDING_TOO_RECENT", lambda: family.end(
        bound.app, bound["李秀英"].who, key(), b.id))
    assert err.params["days"] == 90
    clock.set(b.activated_at + timedelta(days=90))  # type: ignore[operator]
    assert family.end(bound.app, bound["李秀英"].who, key(), b.id).value.status == "ended"


def test_operator_verification_required_where_the_region_says(bound: Family,
                                                              database: Database) -> None:
    upload(bound.app, 'region: "510100"\neffective_from: 2026-11-01\n'
                      "mutual_aid: {require_verified_relation: true}\n")
    refused(database, "BINDING_NOT_VERIFIED", lambda: send(bound))
    b = family.list_for(bound.app, OPERATOR, bound["张伟"].psn_no)[0]
    v = family.verify(bound.app, OPERATOR, key(), b.id, "户口簿").value
    assert v.verified
    assert send(bound).status == "pending"


# -- transfers: every rule at its boundary -------------------------------------------------

def test_amount_limit_to_the_fen(bound: Family, database: Database) -> None:
    err = refused(database, "TRANSFER_AMOUNT_OVER_LIMIT", lambda: send(bound, 2000_01))
    assert "2000.00" in err.message and "2000.01" in err.message_en
    t = send(bound, 2000_00)
    assert t.amount == 2000_00 and t.status == "pending"
    assert balances(bound) == {"sponsor": 10_000_00, "quota": 0}


def test_third_transfer_allowed_fourth_refused(bound: Family, database: Database) -> None:
    for _ in range(3):
        accept(bound, send(bound))
    err = refused(database, "TRANSFER_DAILY_LIMIT", lambda: send(bound))
    assert err.params == {"limit": 3, "sent": 3}
    assert "3 笔" in err.message
    assert balances(bound) == {"sponsor": 6_000_00, "quota": 6_000_00}
    lim = transfers.limits(bound.app, bound["张伟"].who, bound["张伟"].psn_no)
    assert (lim.sent_today, lim.left_today) == (3, 0)


def test_daily_count_resets_at_shanghai_midnight(bound: Family, database: Database,
                                                 clock: FixedClock) -> None:
    # a region whose closed hours do not cover midnight, so both sides of it can be tried
    upload(bound.app, 'region: "510100"\neffective_from: 2026-11-01\n'
                      'wallet: {closed_hours: {start: "02:00", end: "03:00"}}\n')
    clock.set(shanghai(2026, 11, 24, 23, 0, 0))
    for _ in range(3):
        accept(bound, send(bound, 1_00))
    clock.set(shanghai(2026, 11, 24, 23, 59, 59))
    refused(database, "TRANSFER_DAILY_LIMIT", lambda: send(bound, 1_00))
    clock.set(shanghai(2026, 11, 25, 0, 0, 0))
    t = send(bound, 1_00)
    assert t.business_date.isoformat() == "2026-11-25"


def test_closed_hours_at_the_second(bound: Family, database: Database,
                                    clock: FixedClock) -> None:
    clock.set(shanghai(2026, 11, 24, 21, 59, 59))
    accept(bound, send(bound, 1_00))
    clock.set(shanghai(2026, 11, 24, 22, 0, 0))
    err = refused(database, "TRANSFER_WINDOW_CLOSED", lambda: send(bound, 1_00))
    assert err.params["reopens"] == "2026-11-25 06:00:00"
    clock.set(shanghai(2026, 11, 25, 5, 59, 59))
    refused(database, "TRANSFER_WINDOW_CLOSED", lambda: send(bound, 1_00))
    clock.set(shanghai(2026, 11, 25, 6, 0, 0))
    assert send(bound, 1_00).status == "pending"


def test_accept_at_05_59_59_but_not_at_06_00_00(bound: Family, database: Database,
                                                clock: FixedClock) -> None:
    clock.set(shanghai(2026, 11, 24, 21, 0, 0))
    first = send(bound, 500_00)
    assert first.deadline == shanghai(2026, 11, 25, 6, 0, 0)
    clock.set(shanghai(2026, 11, 25, 5, 59, 59))
    assert accept(bound, first) == "accepted"

    clock.set(shanghai(2026, 11, 25, 7, 0, 0))
    second = send(bound, 700_00)
    clock.set(shanghai(2026, 11, 26, 6, 0, 0))
    err = refused(database, "TRANSFER_EXPIRED", lambda: accept(bound, second))
    assert err.params["deadline"] == "2026-11-26 06:00:00"
    before = balances(bound)
    hold_ids = ledger.sweep_expired(bound.app)
    assert len(hold_ids) == 1
    assert ledger.sweep_expired(bound.app) == []  # exactly once
    assert transfers.get(bound.app, OPERATOR, second.id).status == "returned"
    after = balances(bound)
    assert after == {"sponsor": before["sponsor"] + 700_00, "quota": 500_00}


def test_one_pending_transfer_per_receiver(bound: Family, database: Database) -> None:
    t = send(bound, 1_00)
    refused(database, "TRANSFER_PENDING_EXISTS", lambda: send(bound, 1_00))
    accept(bound, t)
    assert send(bound, 1_00).status == "pending"


def test_a_beneficiary_is_told_quota_cannot_be_sent_on(fam: Family,
                                                       database: Database) -> None:
    fam.open_wallet("张伟")
    fam.open_wallet("王芳")
    fam.bind("张伟", "王芳", "spouse")
    assert accept(fam, send(fam, to="王芳"), who="王芳") == "accepted"
    for to in ("张伟", "李秀英"):  # back to the sponsor, or on to anyone else
        refused(database, "TRANSFER_QUOTA_NOT_TRANSFERABLE", lambda to=to: transfers.send(
            fam.app, fam["王芳"].who, key("t"), transfers.SendTransfer(fam[to].psn_no, 1_00),
            PIN))


def test_receiver_must_have_an_open_wallet_and_a_binding(fam: Family,
                                                         database: Database) -> None:
    fam.open_wallet("张伟")
    refused(database, "TRANSFER_NOT_BOUND", lambda: send(fam, to="王芳"))
    fam.bind("张伟", "王芳", "spouse")
    refused(database, "TRANSFER_RECEIVER_NO_WALLET", lambda: send(fam, to="王芳"))
    fam.open_wallet("王芳")
    assert send(fam, to="王芳").status == "pending"


def test_sender_needs_a_wallet_and_money(bound: Family, database: Database) -> None:
    poor = bound.add("张强", born=shanghai(1993, 1, 1).date(), seq=111, insutype="310",
                     psn_type="1101", admdvs="510100", credit=100_00)
    bound.bind("张强", "李秀英", "parent")
    refused(database, "WALLET_NOT_OPEN", lambda: transfers.send(
        bound.app, poor.who, key(), transfers.SendTransfer(bound["李秀英"].psn_no, 1_00), PIN))
    bound.open_wallet("张强")
    err = refused(database, "INSUFFICIENT_FUNDS", lambda: transfers.send(
        bound.app, poor.who, key(), transfers.SendTransfer(bound["李秀英"].psn_no, 100_01),
        PIN))
    assert (err.params["available"], err.params["required"]) == ("100.00", "100.01")


def test_min_sponsor_balance(bound: Family, database: Database) -> None:
    upload(bound.app, 'region: "510100"\neffective_from: 2026-11-01\n'
                      'mutual_aid: {min_sponsor_balance: "11000.00"}\n')
    err = refused(database, "MIN_SPONSOR_BALANCE", lambda: send(bound, 1000_01))
    assert (err.params["keep"], err.params["available"]) == ("11000.00", "1000.00")
    assert send(bound, 1000_00).status == "pending"


def test_reject_and_cancel_return_the_money(bound: Family, database: Database) -> None:
    t = send(bound, 300_00)
    r = transfers.respond(bound.app, bound["李秀英"].who, key(), t.id, "reject").value
    assert r.status == "rejected"
    t2 = send(bound, 400_00)
    refused(database, "FORBIDDEN", lambda: transfers.respond(
        bound.app, bound["李秀英"].who, key(), t2.id, "cancel"))
    c = transfers.respond(bound.app, bound["张伟"].who, key(), t2.id, "cancel").value
    assert c.status == "cancelled"
    refused(database, "TRANSFER_NOT_PENDING", lambda: accept(bound, t2))
    assert balances(bound) == {"sponsor": 12_000_00, "quota": 0}


def test_a_stranger_cannot_accept_or_see(bound: Family, database: Database) -> None:
    t = send(bound, 1_00)
    wife = bound["王芳"]
    # to a stranger the transfer does not exist (an unknown id answers the same)
    refused(database, "TRANSFER_NOT_FOUND", lambda: transfers.respond(
        bound.app, wife.who, key(), t.id, "accept"))
    with pytest.raises(GongjiError) as e:
        transfers.get(bound.app, wife.who, t.id)
    assert e.value.code == "TRANSFER_NOT_FOUND"


def test_a_proxy_may_accept_but_not_send(bound: Family, database: Database) -> None:
    ma, wife = bound["李秀英"], bound["王芳"]
    p = proxies.request(bound.app, wife.who, key(), proxies.RequestProxy(
        bound["张伟"].certno, bound["张伟"].name, "spouse")).value
    proxies.decide(bound.app, bound["张伟"].who, key(), p.id, True)
    t = send(bound, 1_00)
    # the wife holds her husband's proxy: she sees his transfer but may not take it back
    assert transfers.get(bound.app, wife.who, t.id).status == "pending"
    refused(database, "PROXY_NOT_ALLOWED", lambda: transfers.respond(
        bound.app, wife.who, key(), t.id, "cancel"))
    p2 = proxies.request(bound.app, bound["张伟"].who, key(), proxies.RequestProxy(
        ma.certno, ma.name, "parent")).value
    proxies.decide(bound.app, ma.who, key(), p2.id, True)
    assert accept(bound, t, who="张伟") == "accepted"  # the son accepts for his mother


# -- PIN -----------------------------------------------------------------------------------

def test_wrong_pins_lock_then_unlock(bound: Family, database: Database,
                                     clock: FixedClock) -> None:
    for left in (4, 3, 2, 1):
        err = refused_but_counted(bound, "PIN_WRONG")
        assert err.params["left"] == left
    err = refused_but_counted(bound, "PIN_LOCKED")
    assert "2026-11-24 10:30:00" in err.message
    with pytest.raises(GongjiError) as e:
        send(bound, 1_00)  # even the right PIN, while locked
    assert e.value.code == "PIN_LOCKED"
    clock.advance(timedelta(minutes=30))
    assert send(bound, 1_00).status == "pending"


def refused_but_counted(fam: Family, code: str) -> GongjiError:
    """A wrong PIN writes only its failure count (security state), nothing else."""
    before = table_counts(fam.app.db)
    with pytest.raises(GongjiError) as e:
        send(fam, 1_00, pin="000001")
    assert e.value.code == code
    after = table_counts(fam.app.db)
    # the count is an UPDATE of the pins row; a lockout is also audited
    assert after.pop("audit_log") == before.pop("audit_log") + (code == "PIN_LOCKED")
    assert after == before
    return e.value


def test_pin_format_and_change(fam: Family, database: Database) -> None:
    from gongji.services.pins import service as pins

    zw = fam["张伟"]
    for bad, code in (("12345", "PIN_FORMAT"), ("12345a", "PIN_FORMAT"),
                      ("111111", "PIN_WEAK"), ("123456", "PIN_WEAK"), ("654321", "PIN_WEAK")):
        with pytest.raises(GongjiError) as e:
            pins.set_pin(fam.app, zw.who, key(), zw.psn_no, bad, PIN)
        assert e.value.code == code
    with pytest.raises(GongjiError) as e:
        pins.set_pin(fam.app, zw.who, key(), zw.psn_no, "246813", "000000")
    assert e.value.code == "PIN_WRONG"
    assert pins.set_pin(fam.app, zw.who, key(), zw.psn_no, "246813", PIN).value.changed


def test_a_pin_hashed_with_older_parameters_verifies_and_is_hashed_again(
        bound: Family, database: Database) -> None:
    from argon2 import PasswordHasher

    from gongji.services.pins import service as pins
    from gongji.services.pins import store as pin_store

    zw = bound["张伟"].psn_no

    def digest() -> str:
        row = bound.app.read(lambda uow: pin_store.pin(uow.conn, zw))
        assert row is not None
        return row.hash

    older = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash(PIN)
    first = digest()
    assert bound.app.transact(OPERATOR, lambda uow: pin_store.rehash(uow.conn, zw, first,
                                                                     older))
    assert pins.HASHER.check_needs_rehash(older)
    with pytest.raises(GongjiError) as e:
        send(bound, 1_00, pin="000001")
    assert e.value.code == "PIN_WRONG"
    assert digest() == older  # a wrong PIN changes nothing but the count
    assert send(bound, 1_00).status == "pending"
    now = digest()
    assert now != older and "$m=7168,t=5,p=1$" in now
    assert not pins.HASHER.check_needs_rehash(now)
    row = bound.app.read(lambda uow: pin_store.pin(uow.conn, zw))
    assert row is not None and row.failed == 0 and row.locked_until is None
    pins.verify(bound.app, zw, PIN)  # the new hash verifies
    assert digest() == now


# -- idempotency ---------------------------------------------------------------------------

def test_a_retried_transfer_is_sent_once_even_after_the_pin_locks(bound: Family,
                                                                  database: Database) -> None:
    t = send(bound, 100_00, k="lost-response")
    for _ in range(5):
        with pytest.raises(GongjiError):
            send(bound, 1_00, pin="000001")
    counts = table_counts(database)
    again = transfers.send(bound.app, bound["张伟"].who, "lost-response",
                           transfers.SendTransfer(bound["李秀英"].psn_no, 100_00), PIN)
    assert again.replayed and again.value == t
    assert table_counts(database) == counts
    err = refused(database, "IDEMPOTENCY_CONFLICT", lambda: send(bound, 100_01,
                                                                 k="lost-response"))
    assert err.params["differing"] == ["amount"]


# -- quota goes home -----------------------------------------------------------------------

def test_unbinding_returns_quota_and_pending(bound: Family, database: Database) -> None:
    accept(bound, send(bound, 1500_00))
    pending = send(bound, 300_00)
    assert balances(bound) == {"sponsor": 10_200_00, "quota": 1500_00}
    b = family.list_for(bound.app, OPERATOR, bound["张伟"].psn_no)[0]
    ended = family.end(bound.app, bound["李秀英"].who, key(), b.id).value
    assert (ended.status, ended.end_reason, ended.quota) == ("ended", "unbound", 0)
    assert balances(bound) == {"sponsor": 12_000_00, "quota": 0}
    assert transfers.get(bound.app, OPERATOR, pending.id).status == "unbound"
    refused(database, "BINDING_NOT_ACTIVE", lambda: family.end(
        bound.app, bound["张伟"].who, key(), b.id))
    refused(database, "TRANSFER_NOT_BOUND", lambda: send(bound, 1_00))


def test_ending_an_enrollment_ends_bindings_and_returns_quota(bound: Family,
                                                              database: Database) -> None:
    from gongji.services.enrollment import service as enrollment
    from gongji.services.people import service as people

    accept(bound, send(bound, 800_00))
    ma = bound["李秀英"]
    e = bound.app.read(lambda uow: people.basic_enrollment(uow.conn, ma.psn_no))
    assert e is not None
    r = enrollment.end(bound.app, OPERATOR, key(), enrollment.EndEnrollment(
        e.id, shanghai(2026, 11, 24).date(), "moved", "410100")).value
    assert r.enrollment.status == "moved" and len(r.ended_bindings) == 1
    assert r.new_enrollment is not None and r.new_enrollment.insuplc_admdvs == "410100"
    assert balances(bound) == {"sponsor": 12_000_00, "quota": 0}
    assert family.list_for(bound.app, OPERATOR, ma.psn_no)[0].end_reason == "moved"


def test_closing_a_wallet_returns_quota(bound: Family, database: Database) -> None:
    t = send(bound, 600_00)
    ma = bound["李秀英"]
    refused(database, "WALLET_HAS_PENDING", lambda: wallet.close_wallet(
        bound.app, ma.who, key(), ma.psn_no))
    accept(bound, t)
    w = wallet.close_wallet(bound.app, ma.who, key(), ma.psn_no).value
    assert w.status == "closed" and w.quota_total == 0
    assert balances(bound)["sponsor"] == 12_000_00


def test_quota_is_not_spendable_by_the_sponsor(bound: Family, database: Database) -> None:
    """The quota model: money in the wallet stays an earmark the sponsor cannot spend."""
    accept(bound, send(bound, 2000_00))

    def spend_sponsor_everything(uow: UnitOfWork) -> None:
        acct = uow.ledger.account_by_code(f"PERSONAL/{bound['张伟'].psn_no}")
        cash = uow.ledger.open_account(AccountKind.CASH, owner="510100", admdvs="510100")
        assert acct is not None
        uow.ledger.transfer(acct.id, cash.id, 10_000_01, code="test.spend")

    with pytest.raises(GongjiError) as e:
        bound.app.transact(OPERATOR, spend_sponsor_everything)
    assert e.value.code == "INSUFFICIENT_FUNDS"
