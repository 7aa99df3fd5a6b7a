"""The gateway_signins table: an institution operator's sign-ins and sign-outs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from gongji.store.tables import gateway_signins


def add(conn: Connection, *, admdvs: str, sign_no: str, fixmedins_code: str, opter_no: str,
        mac: str | None, ip: str | None, at: datetime) -> None:
    conn.execute(insert(gateway_signins).values(
        admdvs=admdvs, sign_no=sign_no, fixmedins_code=fixmedins_code, opter_no=opter_no, mac=mac,
        ip=ip,
        signed_in_at=at))


def sign_out(conn: Connection, *, sign_no: str, fixmedins_code: str, at: datetime) -> bool:
    """Sign out the institution's open sign-in; False when there is none by that number."""
    done = conn.execute(update(gateway_signins).where(
        gateway_signins.c.sign_no == sign_no, gateway_signins.c.fixmedins_code == fixmedins_code,
        gateway_signins.c.signed_out_at.is_(None)).values(signed_out_at=at))
    return bool(done.rowcount == 1)


def is_open(conn: Connection, *, sign_no: str, fixmedins_code: str) -> bool:
    """The institution holds this sign-in, not signed out."""
    row = conn.execute(select(gateway_signins.c.signed_out_at).where(
        gateway_signins.c.sign_no == sign_no,
        gateway_signins.c.fixmedins_code == fixmedins_code)).first()
    return row is not None and row.signed_out_at is None
