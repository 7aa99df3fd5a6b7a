"""The contributions table: one row per person, scheme and year paid."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from gongji.services.contributions.model import ContributionView
from gongji.store.tables import contributions

c = contributions.c


def contribution(conn: Connection, cid: str) -> ContributionView:
    r = conn.execute(select(contributions).where(c.id == cid)).one()
    return ContributionView(id=r.id, psn_no=r.psn_no, insutype=r.insutype, year=r.year,
                            admdvs=r.admdvs, amount=int(r.amount), payer_psn_no=r.payer_psn_no,
                            source=r.source, sponsor_psn_no=r.sponsor_psn_no,
                            entry_id=r.entry_id, paid_at=r.paid_at)


def ids_of(conn: Connection, psn_no: str) -> list[str]:
    """Paid for or by the person, newest first."""
    return list(conn.execute(select(c.id).where(
        (c.psn_no == psn_no) | (c.payer_psn_no == psn_no))
        .order_by(c.paid_at.desc())).scalars())


def paid(conn: Connection, psn_no: str, insutype: str, year: int) -> bool:
    return conn.execute(select(c.id).where(c.psn_no == psn_no, c.insutype == insutype,
                                           c.year == year)).first() is not None


def add(conn: Connection, v: ContributionView) -> None:
    conn.execute(insert(contributions).values(
        id=v.id, psn_no=v.psn_no, insutype=v.insutype, year=v.year, admdvs=v.admdvs,
        amount=v.amount, payer_psn_no=v.payer_psn_no, source=v.source,
        sponsor_psn_no=v.sponsor_psn_no, entry_id=v.entry_id, paid_at=v.paid_at))
