"""Migrations 0015-0017 put the region in front of every key (issue 20) on a database full of
rows: a family, settlements in and out of area, a binding, a wallet; down to 0014 and up again
every row is still there, balances and the journal verify, each person's rows are in their
insured region, and the schema is ready for Citus, on both databases."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from gongji.ledger.verify import verify
from gongji.services.runtime import Gongji
from gongji.store import migrate
from gongji.store.distribution import violations
from gongji.store.tables import persons
from tests.clinic import HENAN_HOSPITAL, HOSPITAL, S_A, open_clinic
from tests.conftest import table_counts
from tests.family import make_family


def test_the_region_keys_keep_every_row_down_and_up(app: Gongji) -> None:
    fam = make_family(app)
    clinic = open_clinic(fam)
    clinic.file_away("李秀英", "510000")
    for name, at in (("张伟", HOSPITAL), ("李秀英", HENAN_HOSPITAL), ("李秀英", HOSPITAL)):
        v = clinic.visit(name, at=at, med_type="11")
        clinic.fees(v, (S_A, "1", "86.00"))
        clinic.settle(v, name)
    fam.open_wallet("张伟")
    fam.bind("张伟", "张小宝", "child")
    before = table_counts(app.db)
    with app.db.read() as conn:
        homes = dict(conn.execute(select(persons.c.psn_no, persons.c.admdvs)).all())
    assert homes[fam["李秀英"].psn_no] == "411300" and homes[fam["张伟"].psn_no] == "510100"

    migrate.downgrade(app.db, "0014")
    with app.db.engine.connect() as conn:
        assert "admdvs" not in {c["name"] for c in inspect(conn).get_columns("persons")}
        assert conn.execute(text("SELECT COUNT(*) FROM postings")).scalar_one() == \
            before["postings"]
    assert migrate.upgrade(app.db) == ("0014", migrate.head())

    assert table_counts(app.db) == before
    with app.db.read() as conn:
        assert verify(conn).ok
        assert dict(conn.execute(select(persons.c.psn_no, persons.c.admdvs)).all()) == homes
        # an entry's postings are in its region, a visit's fee lines in the visit's
        assert conn.execute(text(
            "SELECT COUNT(*) FROM postings p JOIN entries e ON e.id = p.entry_id "
            "WHERE p.admdvs <> e.admdvs")).scalar_one() == 0
        assert conn.execute(text(
            "SELECT COUNT(*) FROM fee_details f JOIN visits v ON v.mdtrt_id = f.mdtrt_id "
            "WHERE f.insuplc_admdvs <> v.insuplc_admdvs")).scalar_one() == 0
    with app.db.engine.connect() as conn:
        assert violations(inspect(conn)) == []
