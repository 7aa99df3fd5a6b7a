"""A person's rows live in the person's region, the distribution column of issue 20: a person
is registered in "000000", their first basic enrollment and a move re-home them, and every row
of theirs is copied to the new region and deleted from the old (gongji.store.rehome), the keys
of their calls too; the records of the region at the time (its ledger, its care) stay where
they were."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text

from gongji.domain.certno import make_certno
from gongji.domain.errors import GongjiError
from gongji.ledger.verify import verify
from gongji.services.enrollment import service as enrollment
from gongji.services.people import service as people
from gongji.services.people.model import Enrollment
from gongji.services.pins import service as pins
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import Principal
from gongji.services.wallet import service as wallet
from gongji.store.distribution import PLAN
from gongji.store.rehome import PERSON_ROWS as MOVED
from gongji.store.tables import accounts
from tests.conftest import OPERATOR
from tests.family import PIN, Family, key, make_family
from tests.races.barrier import together

PERSON_ROWS = {  # table -> the column naming the person whose region the row has
    "persons": "psn_no", "enrollments": "psn_no", "pins": "psn_no", "wallets": "psn_no",
    "accumulators": "psn_no", "cards": "psn_no", "credential_uses": "psn_no",
    "bindings": "beneficiary_psn_no", "wallet_transfers": "sender_psn_no",
    "pay_auths": "psn_no", "prescriptions": "psn_no",
}


def regions_of(app: Gongji, psn_no: str) -> dict[str, set[str]]:
    """The regions a person's rows are in, by table (tables where they have none left out),
    and their call keys' under "idempotency"."""
    out: dict[str, set[str]] = {}
    with app.db.read() as conn:
        for table, column in PERSON_ROWS.items():
            found = set(conn.execute(text(  # names from the dict above
                f"SELECT DISTINCT admdvs FROM {table} WHERE {column} = :p"),
                {"p": psn_no}).scalars())
            if found:
                out[table] = found
        keys = set(conn.execute(text("SELECT DISTINCT admdvs FROM idempotency "
                                     "WHERE scope = :s"), {"s": f"person:{psn_no}"}).scalars())
    if keys:
        out["idempotency"] = keys
    return out


def register(app: Gongji, seq: int) -> str:
    return enrollment.register(app, OPERATOR, key("reg"), enrollment.RegisterPerson(
        make_certno("510104", date(1980, 1, 1), seq), "赵一", None)).value.psn_no


def enroll(app: Gongji, psn_no: str, admdvs: str) -> None:
    enrollment.enroll(app, OPERATOR, key("enr"), enrollment.Enroll(
        psn_no=psn_no, insutype="310", psn_type="1101", insuplc_admdvs=admdvs,
        begndate=date(2020, 1, 1)))


def move(app: Gongji, psn_no: str, to: str) -> None:
    e = next(e for e in enrollment_rows(app, psn_no) if e.status == "active")
    enrollment.end(app, OPERATOR, key("mv"), enrollment.EndEnrollment(
        enrollment_id=e.id, enddate=date(2026, 11, 23), reason="moved", new_admdvs=to))


def enrollment_rows(app: Gongji, psn_no: str) -> list[Enrollment]:
    return people.enrollments(app, OPERATOR, psn_no)


def test_a_person_is_registered_nationally_and_lives_where_first_insured(app: Gongji) -> None:
    psn_no = register(app, 11)
    pins.set_pin(app, Principal("person", psn_no), key("pin"), psn_no, PIN)
    assert regions_of(app, psn_no) == {"persons": {"000000"}, "pins": {"000000"},
                                       "idempotency": {"000000"}}
    enroll(app, psn_no, "411300")
    assert regions_of(app, psn_no) == {t: {"411300"} for t in
                                       ("persons", "enrollments", "pins", "idempotency")}


def test_a_move_takes_every_row_of_the_person_and_leaves_the_books(app: Gongji) -> None:
    fam = make_family(app)
    zw, baby = fam["张伟"], fam["张小宝"]
    opened = key("w")
    wallet.open_wallet(app, zw.who, opened, zw.psn_no)
    fam.bind("张伟", "张小宝", "child")
    before = regions_of(app, zw.psn_no)
    assert before == {t: {"510100"} for t in ("persons", "enrollments", "pins", "wallets",
                                              "idempotency")}
    move(app, zw.psn_no, "440100")
    assert regions_of(app, zw.psn_no) == {t: {"440100"} for t in before}
    # the binding is the beneficiary's row: his son's, who did not move
    assert regions_of(app, baby.psn_no)["bindings"] == {"510100"}
    move(app, baby.psn_no, "440100")
    assert regions_of(app, baby.psn_no)["bindings"] == {"440100"}
    # his account is in Chengdu's books, where its postings are
    with app.db.read() as conn:
        assert set(conn.execute(select(accounts.c.admdvs).where(
            accounts.c.owner == zw.psn_no)).scalars()) == {"510100"}
        assert verify(conn).ok
    # a retry of a call he made before the move answers as before, it does not run again
    again = wallet.open_wallet(app, zw.who, opened, zw.psn_no)
    assert again.replayed


def test_a_re_home_and_the_persons_own_calls_at_once(app: Gongji) -> None:
    """The first enrollment re-homes the person while they set their PIN and open their
    wallet: whichever commits first, every row ends in the new region (a row written for the
    old one while the re-home held the person is written again in the new one)."""
    for seq in range(20, 24):
        psn_no = register(app, seq)
        who = Principal("person", psn_no)
        out = together(lambda p=psn_no: enroll(app, p, "510100"),
                       lambda p=psn_no, w=who: pins.set_pin(app, w, key("pin"), p, PIN),
                       lambda p=psn_no, w=who: wallet.open_wallet(app, w, key("w"), p))
        enrolled, pin, opened = out
        assert enrolled is None and not isinstance(pin, BaseException), out
        # the wallet opens if the enrollment committed first, else it is refused as it
        # should be: never a database error
        assert not isinstance(opened, BaseException) or \
            (isinstance(opened, GongjiError) and opened.code == "NOT_ENROLLED"), out
        rows = ("persons", "enrollments", "pins", "idempotency") + \
            (("wallets",) if not isinstance(opened, BaseException) else ())
        assert regions_of(app, psn_no) == {t: {"510100"} for t in rows}
    with app.db.read() as conn:
        assert verify(conn).ok


def test_forty_calls_of_one_person_across_a_move(app: Gongji) -> None:
    """A move and 39 wallet openings of the mover at once: one opening wins, the others are
    refused as a second opening (never a database error), and every row ends in the new
    region."""
    fam = Family(app)
    m = fam.add("钱二", born=date(1985, 5, 5), seq=31, insutype="310", psn_type="1101",
                admdvs="510100")
    calls = [lambda: move(app, m.psn_no, "411300")]
    calls += [lambda: wallet.open_wallet(app, m.who, key("w"), m.psn_no) for _ in range(39)]
    out = together(*calls)
    refused = [e for e in out if isinstance(e, BaseException)]
    assert [e for e in refused if not isinstance(e, GongjiError)
            or e.code != "WALLET_ALREADY_OPEN"] == []
    assert len(refused) == 38
    assert regions_of(app, m.psn_no) == {t: {"411300"} for t in (
        "persons", "enrollments", "pins", "wallets", "idempotency")}
    with app.db.read() as conn:
        assert verify(conn).ok


def test_every_table_of_a_person_is_re_homed() -> None:
    """The re-home moves the tables the plan places by the person's region, and the keys of
    their calls: a person's table added later without a way to move it fails here."""
    shelf = next(s for s in PLAN if "persons" in s.tables)
    moved = [t.name for t, _ in MOVED]
    assert set(moved) == set(shelf.tables) | {"idempotency"}
    assert len(moved) == len(set(moved))
