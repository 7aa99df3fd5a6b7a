"""store.fast gives what conn.execute gives: the same values (datetimes in Shanghai, booleans,
dates, amounts), the same row counts and RETURNING rows, the same wrapped errors, in the
same transaction, and statement listeners still see each statement."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, event, exc, select, update

from gongji.domain.clock import SHANGHAI
from gongji.store import fast
from gongji.store.db import Database
from gongji.store.tables import institutions, persons, visits

WHEN = datetime(2026, 12, 5, 9, 30, 1, tzinfo=SHANGHAI)
VISIT = {"mdtrt_id": "M1", "psn_no": "P1", "insutype": "310", "fixmedins_code": "H1",
         "med_type": "11", "care": "outpatient", "mdtrtarea_admvs": "510100",
         "insuplc_admdvs": "510100", "mdtrt_cert_type": "02", "ipt_otp_no": None,
         "begntime": WHEN, "endtime": None, "first_stay": True, "dise_codg": None,
         "status": "open", "created_at": WHEN}
PERSON = {"admdvs": "510100", "psn_no": "P1", "certno": "510104199001011234", "psn_cert_type": "01",
          "name": "张伟", "gend": "1", "brdy": date(1990, 1, 1), "phone": None,
          "created_at": WHEN}

INSTITUTION = {"fixmedins_code": "H1", "fixmedins_name": "医院", "fixmedins_type": "1",
               "hosp_lv": "1", "admdvs": "510100", "wallet_supported": True, "created_at": WHEN}

ADD_INSTITUTION = fast.Prepared(fast.insert_of(institutions, list(INSTITUTION)))
ADD_PERSON = fast.Prepared(fast.insert_of(persons, list(PERSON)))
ADD_VISIT = fast.Prepared(fast.insert_of(visits, list(VISIT)))
BY_ID = select(visits).where(visits.c.mdtrt_id == bindparam("m"), visits.c.status == "open")
CLOSE = (update(visits).where(visits.c.mdtrt_id == bindparam("m"))
         .values(status=bindparam("s"), endtime=bindparam("e"))
         .returning(visits.c.endtime, visits.c.first_stay))


def test_the_same_rows_as_conn_execute(database: Database) -> None:
    with database.begin() as conn:
        ADD_INSTITUTION.run(conn, INSTITUTION)
        ADD_PERSON.run(conn, PERSON)
        ADD_VISIT.run(conn, VISIT)
        ours = fast.Prepared(BY_ID).run(conn, {"m": "M1"}).one()
        theirs = conn.execute(BY_ID, {"m": "M1"}).one()
        assert tuple(ours) == tuple(theirs)
        assert ours.begntime == WHEN and ours.begntime.tzinfo is not None
        assert ours.first_stay is True and ours.endtime is None
        born = fast.Prepared(select(persons.c.brdy)).run(conn).scalar_one()
        assert born == date(1990, 1, 1)
        assert fast.Prepared(BY_ID).run(conn, {"m": "nope"}).first() is None
        closed = fast.Prepared(CLOSE).run(conn, {"m": "M1", "s": "closed", "e": WHEN})
        assert closed.rowcount == 1 and closed.one() == (WHEN, True)
    with database.read() as conn:  # committed with the transaction it ran in
        assert conn.execute(select(visits.c.status)).scalar_one() == "closed"


def test_errors_arrive_wrapped_and_nothing_is_half_written(database: Database) -> None:
    with pytest.raises(exc.IntegrityError), database.begin() as conn:
        ADD_PERSON.run(conn, PERSON)
        ADD_PERSON.run(conn, PERSON)
    with database.read() as conn:
        assert conn.execute(select(persons.c.psn_no)).all() == []


def test_executemany_and_listeners(database: Database) -> None:
    seen: list[tuple[str, bool]] = []

    def listen(_c: Any, _cur: Any, sql: str, _p: Any, _ctx: Any, many: bool) -> None:
        seen.append((sql.split()[0], many))

    event.listen(database.engine, "before_cursor_execute", listen)
    try:
        with database.begin() as conn:
            ADD_INSTITUTION.run(conn, INSTITUTION)
            ADD_PERSON.run(conn, PERSON)
            ADD_VISIT.run_many(conn, [VISIT | {"mdtrt_id": f"M{i}"} for i in range(3)])
    finally:
        event.remove(database.engine, "before_cursor_execute", listen)
    assert ("INSERT", True) in seen and ("INSERT", False) in seen
    with database.read() as conn:
        assert len(conn.execute(select(visits.c.mdtrt_id)).all()) == 3


def test_statements_whose_sql_depends_on_values_are_refused() -> None:
    from sqlalchemy.dialects import sqlite

    with pytest.raises(ValueError):
        fast.Prepared(select(visits).where(visits.c.mdtrt_id.in_(bindparam("ids", expanding=True))
                                           ))._plan(sqlite.dialect())


def test_in_lists_of_any_length_give_what_an_expanding_in_gives(database: Database) -> None:
    """ByArity: one prepared statement per list length; beyond LIMIT, SQLAlchemy's own."""
    many = fast.ByArity(lambda codes, lv: select(institutions.c.fixmedins_code).where(
        institutions.c.fixmedins_code.in_(codes), institutions.c.hosp_lv.in_(lv))
        .order_by(institutions.c.fixmedins_code))
    with database.begin() as conn:
        for n in range(1, 8):
            ADD_INSTITUTION.run(conn, {**INSTITUTION, "fixmedins_code": f"H{n}",
                                       "hosp_lv": str(n % 3)})
        for codes, lv in ((["H1"], ["1"]), (["H1", "H2", "H4", "H9"], ["1", "2"]),
                          ([f"H{n}" for n in range(1, 200)], ["0", "1", "2"]), (["H3"], [])):
            theirs = conn.execute(select(institutions.c.fixmedins_code).where(
                institutions.c.fixmedins_code.in_(codes), institutions.c.hosp_lv.in_(lv))
                .order_by(institutions.c.fixmedins_code)).scalars().all()
            assert many.run(conn, {"codes": codes, "lv": lv}).scalars() == theirs
        assert len(theirs) == 0 and set(many._by_arity) == {(1, 1), (4, 2)}  # the rest: IN ()
