"""The filings, chronic_recognitions and switches tables, as typed records. SQL only: who may
file what, and which filing covers a visit, is the service's."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.services.filing.model import FilingView, RecognitionView
from gongji.store.tables import chronic_recognitions, filings, person_region, switches

# -- filings ----------------------------------------------------------------------------------

def filing(conn: Connection, filing_id: str) -> FilingView | None:
    f = conn.execute(select(filings).where(filings.c.id == filing_id)).first()
    if f is None:
        return None
    return FilingView(f.id, f.psn_no, f.kind, f.insuplc_admdvs, f.target_admdvs, f.begndate,
                      f.enddate, f.opsp_dise_code, f.status, f.created_at)


def active_ids(conn: Connection, psn_no: str) -> list[str]:
    """The person's active filings, oldest first."""
    return list(conn.execute(select(filings.c.id).where(
        filings.c.psn_no == psn_no, filings.c.status == "active")
        .order_by(filings.c.created_at)).scalars())


def ids_of(conn: Connection, psn_no: str) -> list[str]:
    """Every filing of the person, newest first."""
    return list(conn.execute(select(filings.c.id).where(filings.c.psn_no == psn_no)
                             .order_by(filings.c.created_at.desc())).scalars())


def add_filing(conn: Connection, filing_id: str, *, psn_no: str, kind: str,
               insuplc_admdvs: str, target_admdvs: str, begndate: date, enddate: date | None,
               opsp_dise_code: str | None, at: datetime) -> None:
    conn.execute(insert(filings).values(
        id=filing_id, psn_no=psn_no, kind=kind, insuplc_admdvs=insuplc_admdvs,
        target_admdvs=target_admdvs, begndate=begndate, enddate=enddate,
        opsp_dise_code=opsp_dise_code, status="active", created_at=at))


def revoke_filing(conn: Connection, filing_id: str, *, at: datetime) -> None:
    conn.execute(update(filings).where(filings.c.id == filing_id)
                 .values(status="revoked", revoked_at=at))


# -- chronic disease recognitions -------------------------------------------------------------

def add_recognition(conn: Connection, recognition_id: str, *, psn_no: str, disease: str,
                    admdvs: str, begndate: date, by: str, at: datetime) -> None:
    conn.execute(insert(chronic_recognitions).values(
        id=recognition_id, psn_no=psn_no, opsp_dise_code=disease, admdvs=admdvs,
        begndate=begndate, status="active", recognized_by=by, created_at=at))


def revoke_recognition(conn: Connection, recognition_id: str) -> bool:
    """Revoke an active recognition; False when there is none by that id."""
    done = conn.execute(update(chronic_recognitions).where(
        chronic_recognitions.c.id == recognition_id,
        chronic_recognitions.c.status == "active").values(status="revoked"))
    return done.rowcount == 1


def recognitions_of(conn: Connection, psn_no: str, day: date) -> list[RecognitionView]:
    """The person's active recognitions not ended before the day, oldest first (one indexed
    read: an HIS asks after every 1101). The disease names are the service's."""
    rows = conn.execute(select(chronic_recognitions).where(
        chronic_recognitions.c.psn_no == psn_no, chronic_recognitions.c.status == "active",
        (chronic_recognitions.c.enddate.is_(None)) | (chronic_recognitions.c.enddate >= day))
        .order_by(chronic_recognitions.c.begndate, chronic_recognitions.c.created_at))
    return [RecognitionView(r.id, r.psn_no, r.opsp_dise_code, None, r.admdvs, r.begndate,
                            r.enddate) for r in rows]


def recognised_on(conn: Connection, psn_no: str, disease: str, day: date) -> bool:
    """Whether the person has an active recognition of the disease begun by that day."""
    return conn.execute(select(chronic_recognitions.c.id).where(
        chronic_recognitions.c.psn_no == psn_no,
        chronic_recognitions.c.opsp_dise_code == disease,
        chronic_recognitions.c.status == "active",
        chronic_recognitions.c.begndate <= day)).first() is not None


# -- switches ---------------------------------------------------------------------------------

def set_switch(conn: Connection, psn_no: str, scope: str, enabled: bool, *,
               at: datetime) -> None:
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(switches)
    conn.execute(ins.values(admdvs=person_region(psn_no), psn_no=psn_no, scope=scope,
                            enabled=enabled, updated_at=at)
                 .on_conflict_do_update(index_elements=["admdvs", "psn_no", "scope"],
                                        set_={"enabled": enabled, "updated_at": at}))


def switch_on(conn: Connection, psn_no: str, scope: str) -> bool:
    row = conn.execute(select(switches.c.enabled).where(
        switches.c.psn_no == psn_no, switches.c.scope == scope)).first()
    return bool(row and row.enabled)


def referrals_of(conn: Connection, psn_no: str, *, since: date, until: date | None
                 ) -> list[FilingView]:
    """The person's active referral filings in force some day of [since, until] (until
    None: open-ended), oldest first."""
    q = select(filings.c.id).where(
        filings.c.psn_no == psn_no, filings.c.kind == "referral",
        filings.c.status == "active",
        (filings.c.enddate.is_(None)) | (filings.c.enddate >= since))
    if until is not None:
        q = q.where(filings.c.begndate <= until)
    ids = conn.execute(q.order_by(filings.c.begndate, filings.c.created_at)).scalars()
    return [f for i in list(ids) if (f := filing(conn, i)) is not None]
