"""A mobile-payment order (pay_orders) with the rows it needs, written directly: for tests of
the pieces the order's core calls (the cash channel's records, notifications)."""

from __future__ import annotations

from datetime import date
from itertools import count

from gongji.domain.certno import make_certno
from gongji.services.runtime import Gongji
from gongji.store.tables import institutions, pay_auths, pay_orders, persons, visits

HOSPITAL = "H51010000001"
OTHER = "H51010000002"
_n = count(1)


def make_order(app: Gongji, fixmedins_code: str = HOSPITAL, *, own_pay_amt: int = 12_30
               ) -> str:
    """A new order at this institution (made on first use, with a person and a visit)."""
    i = next(_n)
    now = app.clock.now()
    psn_no = f"P{i:016d}"
    pay_ord_id = f"ORD{i:012d}"
    with app.db.begin() as conn:
        if conn.execute(institutions.select().where(
                institutions.c.fixmedins_code == fixmedins_code)).first() is None:
            conn.execute(institutions.insert().values(
                fixmedins_code=fixmedins_code, fixmedins_name="测试医院", fixmedins_type="1",
                hosp_lv="3", admdvs="510100", wallet_supported=True, created_at=now))
        conn.execute(persons.insert().values(
            admdvs="510100", psn_no=psn_no,
            certno=make_certno("510104", date(1990, 1, 1), i % 999 + 1),
            name="测试", gend="1", brdy=date(1990, 1, 1), created_at=now))
        conn.execute(visits.insert().values(
            mdtrt_id=f"M{pay_ord_id}", psn_no=psn_no, insutype="310",
            fixmedins_code=fixmedins_code, med_type="11", care="outpatient",
            mdtrtarea_admvs="510100", insuplc_admdvs="510100", mdtrt_cert_type="02",
            begntime=now, status="open", created_at=now))
        conn.execute(pay_auths.insert().values(
            admdvs="510100", pay_auth_no=f"A{pay_ord_id}", psn_no=psn_no, authorized_by=psn_no,
            fixmedins_code=fixmedins_code, med_org_ord=f"MO{pay_ord_id}", insutype="310",
            fee_sumamt=own_pay_amt, items="[]", created_at=now, expires_at=now))
        conn.execute(pay_orders.insert().values(
            admdvs="510100", pay_ord_id=pay_ord_id, fixmedins_code=fixmedins_code,
            med_org_ord=f"MO{pay_ord_id}", pay_auth_no=f"A{pay_ord_id}",
            pay_token_digest="0" * 64, psn_no=psn_no, authorized_by=psn_no, insutype="310",
            mdtrt_id=f"M{pay_ord_id}", ord_stas="1", fee_sumamt=own_pay_amt,
            own_pay_amt=own_pay_amt, psn_acct_pay=0, fund_pay=0, acct_mulaid_pay=0,
            cash_state="pending", created_at=now, updated_at=now))
    return pay_ord_id
