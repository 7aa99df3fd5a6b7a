"""Sign-in at the national interface (9001 签到 / 9002 签退): an institution's operator signs in
before the day's transactions; every transaction but sign-in names an open sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_code
from gongji.services.access import require_institution
from gongji.services.door import door
from gongji.services.runtime import ClientKey, Gongji
from gongji.services.unit_of_work import UnitOfWork
from gongji.store.tables import gateway_signins


@dataclass(frozen=True, slots=True)
class SignIn:
    sign_no: str
    sign_time: datetime


@door
def sign_in(app: Gongji, who: Principal, key: ClientKey | str | None, *, opter_no: str,
            mac: str | None = None, ip: str | None = None) -> SignIn:
    """A new sign-in number: the institution code, the time and a serial (at most 30)."""
    require_institution(who)

    def run(uow: UnitOfWork) -> SignIn:
        sign_no = f"{who.id}{uow.now:%Y%m%d%H%M%S}{new_code('')[-4:]}"[:30]
        uow.conn.execute(insert(gateway_signins).values(
            sign_no=sign_no, fixmedins_code=who.id, opter_no=opter_no, mac=mac, ip=ip,
            signed_in_at=uow.now))
        return SignIn(sign_no, uow.now)

    return app.write(who, key=key, operation="gateway.sign_in",
                     request={"opter_no": opter_no, "mac": mac, "ip": ip}, fn=run,
                     result_type=SignIn).value


@door
def sign_out(app: Gongji, who: Principal, key: ClientKey | str | None, *,
             sign_no: str) -> datetime:
    require_institution(who)

    def run(uow: UnitOfWork) -> datetime:
        done = uow.conn.execute(update(gateway_signins).where(
            gateway_signins.c.sign_no == sign_no, gateway_signins.c.fixmedins_code == who.id,
            gateway_signins.c.signed_out_at.is_(None)).values(signed_out_at=uow.now))
        if done.rowcount != 1:
            raise GongjiError("GATEWAY_NOT_SIGNED_IN")
        return uow.now

    return app.write(who, key=key, operation="gateway.sign_out", request={"sign_no": sign_no},
                     fn=run, result_type=datetime).value


@door(auth=True)
def check(app: Gongji, who: Principal, sign_no: str | None) -> None:
    """The institution holds this open sign-in (GATEWAY_NOT_SIGNED_IN otherwise)."""
    def run(uow: UnitOfWork) -> bool:
        row = uow.conn.execute(select(gateway_signins.c.signed_out_at).where(
            gateway_signins.c.sign_no == (sign_no or ""),
            gateway_signins.c.fixmedins_code == who.id)).first()
        return row is not None and row.signed_out_at is None

    if not app.read(run, principal=who):
        raise GongjiError("GATEWAY_NOT_SIGNED_IN")
