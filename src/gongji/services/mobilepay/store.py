"""Payment authorizations, mobile-payment orders and their refunds, as typed records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from gongji.services.mobilepay.model import OrderItem, RefundView
from gongji.store.tables import pay_auths, pay_orders, pay_refunds, person_region


@dataclass(frozen=True, slots=True)
class AuthRecord:
    pay_auth_no: str
    psn_no: str
    authorized_by: str
    fixmedins_code: str
    med_org_ord: str
    insutype: str
    fee_sumamt: int
    items: tuple[OrderItem, ...]
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    pay_ord_id: str | None


def _auth(r: Row[Any]) -> AuthRecord:
    items = tuple(OrderItem(**i) for i in json.loads(r.items))
    return AuthRecord(r.pay_auth_no, r.psn_no, r.authorized_by, r.fixmedins_code,
                      r.med_org_ord, r.insutype, r.fee_sumamt, items, r.created_at,
                      r.expires_at, r.used_at, r.pay_ord_id)


def _region_of_auth(pay_auth_no: str) -> Any:
    """An order is in its authorization's region (the person's)."""
    return select(pay_auths.c.admdvs).where(pay_auths.c.pay_auth_no == pay_auth_no
                                            ).scalar_subquery()


def region_of_order(pay_ord_id: str) -> Any:
    """The rows of an order (refunds, cash payments, notices) are in the order's region."""
    return select(pay_orders.c.admdvs).where(pay_orders.c.pay_ord_id == pay_ord_id
                                             ).scalar_subquery()


def add_auth(conn: Connection, a: AuthRecord) -> None:
    conn.execute(insert(pay_auths).values(
        admdvs=person_region(a.psn_no), pay_auth_no=a.pay_auth_no, psn_no=a.psn_no,
        authorized_by=a.authorized_by,
        fixmedins_code=a.fixmedins_code, med_org_ord=a.med_org_ord, insutype=a.insutype,
        fee_sumamt=a.fee_sumamt, items=json.dumps(
            [{"med_list_codg": i.med_list_codg, "cnt": i.cnt, "pric": i.pric, "name": i.name}
             for i in a.items], ensure_ascii=False),
        created_at=a.created_at, expires_at=a.expires_at))


def auth(conn: Connection, pay_auth_no: str, *, lock: bool = False) -> AuthRecord | None:
    q = select(pay_auths).where(pay_auths.c.pay_auth_no == pay_auth_no)
    r = conn.execute(q.with_for_update() if lock else q).first()
    return None if r is None else _auth(r)


def use_auth(conn: Connection, pay_auth_no: str, pay_ord_id: str, at: datetime) -> None:
    conn.execute(update(pay_auths).where(pay_auths.c.pay_auth_no == pay_auth_no)
                 .values(used_at=at, pay_ord_id=pay_ord_id))


def auths_of(conn: Connection, psn_no: str, *, limit: int) -> list[AuthRecord]:
    rows = conn.execute(select(pay_auths).where(pay_auths.c.psn_no == psn_no)
                        .order_by(pay_auths.c.created_at.desc()).limit(limit)).all()
    return [_auth(r) for r in rows]


@dataclass(frozen=True, slots=True)
class OrderRecord:
    pay_ord_id: str
    fixmedins_code: str
    med_org_ord: str
    pay_auth_no: str
    pay_token_digest: str
    psn_no: str
    authorized_by: str
    insutype: str
    mdtrt_id: str
    setl_id: str | None
    hi_rxno: str | None
    ord_stas: str
    fee_sumamt: int
    own_pay_amt: int
    psn_acct_pay: int
    fund_pay: int
    acct_mulaid_pay: int
    cash_state: str
    notify_url: str | None
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None


_ORDER_FIELDS = tuple(OrderRecord.__dataclass_fields__)


def _order(r: Row[Any]) -> OrderRecord:
    m = r._mapping
    return OrderRecord(**{f: m[f] for f in _ORDER_FIELDS})


def add_order(conn: Connection, o: OrderRecord) -> None:
    conn.execute(insert(pay_orders).values({**{f: getattr(o, f) for f in _ORDER_FIELDS},
                                            "admdvs": _region_of_auth(o.pay_auth_no)}))


def order(conn: Connection, pay_ord_id: str, *, lock: bool = False) -> OrderRecord | None:
    q = select(pay_orders).where(pay_orders.c.pay_ord_id == pay_ord_id)
    r = conn.execute(q.with_for_update() if lock else q).first()
    return None if r is None else _order(r)


def order_by_med_org_ord(conn: Connection, fixmedins_code: str, med_org_ord: str
                         ) -> OrderRecord | None:
    r = conn.execute(select(pay_orders).where(
        pay_orders.c.fixmedins_code == fixmedins_code,
        pay_orders.c.med_org_ord == med_org_ord)).first()
    return None if r is None else _order(r)


def change_order(conn: Connection, pay_ord_id: str, **values: Any) -> None:
    conn.execute(update(pay_orders).where(pay_orders.c.pay_ord_id == pay_ord_id)
                 .values(**values))


def orders_of(conn: Connection, psn_no: str, *, limit: int) -> list[OrderRecord]:
    rows = conn.execute(select(pay_orders).where(pay_orders.c.psn_no == psn_no)
                        .order_by(pay_orders.c.created_at.desc()).limit(limit)).all()
    return [_order(r) for r in rows]


def recent(conn: Connection, *, limit: int) -> list[OrderRecord]:
    rows = conn.execute(select(pay_orders).order_by(pay_orders.c.created_at.desc())
                        .limit(limit)).all()
    return [_order(r) for r in rows]


def count_in(conn: Connection, ord_stas: str) -> int:
    return int(conn.execute(select(func.count()).select_from(pay_orders).where(
        pay_orders.c.ord_stas == ord_stas)).scalar_one())


def orders_in(conn: Connection, ord_stas: str, *, before: datetime, limit: int
              ) -> list[str]:
    return list(conn.execute(select(pay_orders.c.pay_ord_id).where(
        pay_orders.c.ord_stas == ord_stas, pay_orders.c.updated_at <= before)
        .order_by(pay_orders.c.updated_at).limit(limit)).scalars())


def _refund(r: Row[Any]) -> RefundView:
    return RefundView(r.app_refd_sn, r.refd_type, r.totl_refd_amt, r.cash_refd_amt,
                      r.psn_acct_refd_amt, r.fund_refd_amt, tuple(json.loads(r.lines)),
                      r.created_at)


def add_refund(conn: Connection, pay_ord_id: str, r: RefundView, new_setl_id: str | None
               ) -> None:
    conn.execute(insert(pay_refunds).values(
        admdvs=region_of_order(pay_ord_id), pay_ord_id=pay_ord_id, app_refd_sn=r.app_refd_sn,
        refd_type=r.refd_type,
        totl_refd_amt=r.totl_refd_amt, cash_refd_amt=r.cash_refd_amt,
        psn_acct_refd_amt=r.psn_acct_refd_amt, fund_refd_amt=r.fund_refd_amt,
        lines=json.dumps(list(r.lines)), new_setl_id=new_setl_id, created_at=r.created_at))


def refund(conn: Connection, pay_ord_id: str, app_refd_sn: str) -> RefundView | None:
    r = conn.execute(select(pay_refunds).where(pay_refunds.c.pay_ord_id == pay_ord_id,
                                               pay_refunds.c.app_refd_sn == app_refd_sn)).first()
    return None if r is None else _refund(r)


def refunds_of(conn: Connection, pay_ord_id: str) -> list[RefundView]:
    rows = conn.execute(select(pay_refunds).where(pay_refunds.c.pay_ord_id == pay_ord_id)
                        .order_by(pay_refunds.c.created_at)).all()
    return [_refund(r) for r in rows]
