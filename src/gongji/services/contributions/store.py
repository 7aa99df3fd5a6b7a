"""The contributions table: one row per person, scheme and year paid."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, insert, select

from gongji.services.contributions.model import ContributionView
from gongji.store.tables import contributions

c = contributions.c


def contribution(conn: Connection, cid: str) -> ContributionView:
    r = conn.execute(select(contributions).where(c.id == cid)).one()
    return ContributionView(id=r.id, psn_no=r.psn_no, insutype=r.insutype, year=r.year,
                            admdvs=r.admdvs, amount=int(r.amount), payer_psn_no=r.payer_psn_no,
                            source=r.source, sponsor_psn_no=r.sponsor_psn_no,
                            entry_id=r.entry_id, paid_at=r.paid_at,
                            benefits_from=r.benefits_from)


def ids_of(conn: Connection, psn_no: str) -> list[str]:
    """Paid for or by the person, newest first."""
    return list(conn.execute(select(c.id).where(
        (c.psn_no == psn_no) | (c.payer_psn_no == psn_no))
        .order_by(c.paid_at.desc())).scalars())


def paid(conn: Connection, psn_no: str, insutype: str, year: int) -> bool:
    return conn.execute(select(c.id).where(c.psn_no == psn_no, c.insutype == insutype,
                                           c.year == year)).first() is not None


def years_paid(conn: Connection, psn_no: str, insutype: str) -> set[int]:
    """The coverage years the person's contributions in the scheme are recorded for."""
    return set(conn.execute(select(c.year).where(c.psn_no == psn_no,
                                                 c.insutype == insutype)).scalars())


def benefits_from(conn: Connection, psn_no: str, insutype: str, year: int) -> date | None:
    """When the person's contribution for the year starts its benefits (None: no contribution
    on record, or one recorded without a waiting period)."""
    found: date | None = conn.execute(select(c.benefits_from).where(
        c.psn_no == psn_no, c.insutype == insutype, c.year == year)).scalar()
    return found


def add(conn: Connection, v: ContributionView) -> None:
    conn.execute(insert(contributions).values(
        id=v.id, psn_no=v.psn_no, insutype=v.insutype, year=v.year, admdvs=v.admdvs,
        amount=v.amount, payer_psn_no=v.payer_psn_no, source=v.source,
        sponsor_psn_no=v.sponsor_psn_no, entry_id=v.entry_id, paid_at=v.paid_at,
        benefits_from=v.benefits_from))
