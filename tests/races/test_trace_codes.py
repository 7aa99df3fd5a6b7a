"""Trace codes at once (issue 17, point 5): forty sales of a box's last tablets (拆零), as
pharmacy sale records (3505) and as settlements by forty people, and forty settlements of an
institution's last untraced boxes (无码库): only what remains is sold, the rest refused."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from gongji.domain.errors import GongjiError
from gongji.domain.tracecode import parse, stock_key
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.tracing import service as tracing
from gongji.store.tables import trace_sales
from tests.api.test_trace_api import D_P, PACK, add_pack_item
from tests.clinic import PHARMACY, Clinic, open_clinic, trace
from tests.family import Member, key, make_family
from tests.races.barrier import together

AT_ONCE = 40


def outcome(r: Any) -> str:
    if isinstance(r, GongjiError):
        return r.code
    assert not isinstance(r, BaseException), r
    return "sold"


def shop(app: Gongji) -> Clinic:
    c = open_clinic(make_family(app))
    add_pack_item(app)
    return c


def buyers(c: Clinic, n: int) -> list[Member]:
    return [c.fam.add(f"顾客{i:02d}", born=date(1980, 1, 1 + i % 28), seq=600 + i,
                      insutype="390", psn_type="1501", admdvs="510100", pin=False)
            for i in range(n)]


def buy(c: Clinic, m: Member, line: svc.FeeIn) -> Any:
    cred = svc.Credential("02", m.certno)
    return svc.purchase(c.app, c.inst(PHARMACY), key("buy"), svc.OpenVisit(cred, "390", "41"),
                        (line,), svc.SettleAsk(cred))


def taken(app: Gongji, code_key: str) -> Decimal:
    rows = app.read(lambda uow: uow.conn.execute(trace_sales.select().where(
        trace_sales.c.code_key == code_key, trace_sales.c.status == "sold")).all())
    return sum((Decimal(r.fraction.split("/")[0]) / Decimal(r.fraction.split("/")[1])
                if "/" in r.fraction else Decimal(r.fraction) for r in rows), Decimal(0))


def test_forty_sale_records_of_the_last_tablets_at_once(app: Gongji) -> None:
    c = shop(app)
    box = trace()
    pharmacy = c.inst(PHARMACY)

    def sale(n: int) -> Any:
        return tracing.record_sale(app, pharmacy, key("3505"), tracing.SaleIn(
            D_P, (box,), Decimal(n), trdn_flag=True))

    sale(PACK - 4)
    out = Counter(outcome(r) for r in together(*[lambda: sale(1)
                                                  for _ in range(AT_ONCE)]))
    assert out == {"sold": 4, "TRACE_SPLIT_OVER": AT_ONCE - 4}, out
    assert taken(app, parse(box).key) == 1


def test_forty_people_buy_the_last_tablets_of_a_box_at_once(app: Gongji) -> None:
    c = shop(app)
    box = trace()
    many = buyers(c, AT_ONCE)
    first = buy(c, many[0], svc.FeeIn("1", D_P, str(PACK - 4), "1", (PACK - 4) * 100,
                                      trace_codes=(box,), trdn_flag=True))
    assert first.value.setl_id
    out = Counter(outcome(r) for r in together(*[
        lambda m=m: buy(c, m, svc.FeeIn("1", D_P, "1", "1", 100, trace_codes=(box,),  # type: ignore[misc]
                                        trdn_flag=True)) for m in many]))
    assert out == {"sold": 4, "TRACE_SPLIT_OVER": AT_ONCE - 4}, out
    assert taken(app, parse(box).key) == 1


def test_forty_people_buy_the_last_untraced_boxes_at_once(app: Gongji) -> None:
    c = shop(app)
    pharmacy = c.inst(PHARMACY)
    tracing.register_stock(app, pharmacy, key("stock"),
                           tracing.StockIn(D_P, 3, date(2025, 6, 30)))
    many = buyers(c, AT_ONCE)
    out = Counter(outcome(r) for r in together(*[
        lambda m=m: buy(c, m, svc.FeeIn("1", D_P, "1", "1", 100))  # type: ignore[misc]
        for m in many]))
    assert out == {"sold": 3, "UNTRACED_STOCK_EXHAUSTED": AT_ONCE - 3}, out
    assert taken(app, stock_key(PHARMACY, D_P)) == 3
    assert [s.left for s in tracing.list_stock(app, pharmacy)] == ["0"]
