"""Sign-in at the national interface (9001 签到 / 9002 签退): an institution's operator signs in
before the day's transactions; every transaction but sign-in names an open sign-in."""

from __future__ import annotations

from datetime import datetime

from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_code
from gongji.services.access import require_institution
from gongji.services.door import door
from gongji.services.institutions import service as institutions
from gongji.services.runtime import ClientKey, Gongji
from gongji.services.signin import store
from gongji.services.signin.model import SignIn
from gongji.services.unit_of_work import UnitOfWork


@door
def sign_in(app: Gongji, who: Principal, key: ClientKey | str | None, *, opter_no: str,
            mac: str | None = None, ip: str | None = None) -> SignIn:
    """A new sign-in number: the institution code, the time and a serial (at most 30)."""
    require_institution(who)

    def run(uow: UnitOfWork) -> SignIn:
        sign_no = f"{who.id}{uow.now:%Y%m%d%H%M%S}{new_code('')[-4:]}"[:30]
        store.add(uow.conn, admdvs=institutions.get_in(uow, who.id).admdvs, sign_no=sign_no,
                  fixmedins_code=who.id, opter_no=opter_no, mac=mac, ip=ip, at=uow.now)
        return SignIn(sign_no, uow.now)

    return app.write(who, key=key, operation="gateway.sign_in",
                     request={"opter_no": opter_no, "mac": mac, "ip": ip}, fn=run,
                     result_type=SignIn).value


@door
def sign_out(app: Gongji, who: Principal, key: ClientKey | str | None, *,
             sign_no: str) -> datetime:
    require_institution(who)

    def run(uow: UnitOfWork) -> datetime:
        if not store.sign_out(uow.conn, sign_no=sign_no, fixmedins_code=who.id, at=uow.now):
            raise GongjiError("GATEWAY_NOT_SIGNED_IN")
        return uow.now

    return app.write(who, key=key, operation="gateway.sign_out", request={"sign_no": sign_no},
                     fn=run, result_type=datetime).value


@door(auth=True)
def check(app: Gongji, who: Principal, sign_no: str | None) -> None:
    """The institution holds this open sign-in (GATEWAY_NOT_SIGNED_IN otherwise)."""
    def run(uow: UnitOfWork) -> bool:
        return store.is_open(uow.conn, sign_no=sign_no or "", fixmedins_code=who.id)

    if not app.read(run, principal=who):
        raise GongjiError("GATEWAY_NOT_SIGNED_IN")
