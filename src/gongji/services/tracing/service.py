"""Drug trace codes: the public query (what happened to this box?), a pharmacy's sale and
return records (3505, 3506), and an institution's untraced stock from before the mandate
(无码库)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from gongji.domain import tracecode
from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_code
from gongji.services.access import require_institution
from gongji.services.catalog import service as catalog
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.tracing import store
from gongji.services.tracing.model import QueryResult, Sale, SaleIn, StockIn, StockView
from gongji.services.unit_of_work import UnitOfWork


@door
def query(app: Gongji, who: Principal, raw: str) -> QueryResult:
    """The check of a trace code: the official neutral answers to anyone; a signed-in person
    also learns whether a sale was to them."""
    code = tracecode.parse(raw)
    asker = who.id if who.kind == "person" else None

    def run(uow: UnitOfWork) -> list[tracecode.Recorded]:
        return [tracecode.Recorded(r.id, r.psn_no or "", r.trdn_flag, Fraction(r.fraction))
                for r in store.sold(uow.conn, code.key)]

    outcome = tracecode.query_outcome(app.read(run, principal=who), asker)
    text = tracecode.OUTCOME_TEXT[outcome]
    return QueryResult(outcome, text.zh, text.en, code.kind, code.expiry)


@door
def record_sale(app: Gongji, who: Principal, key: Key, sale: SaleIn) -> Written[Sale]:
    require_institution(who)
    return app.write(who, key=key, operation="trace.sale", request=to_json(sale, SaleIn),
                     fn=lambda uow: Sale(sale.codes, record_sale_in(
                         uow, who.id, med_list_codg=sale.med_list_codg,
                         codes=list(sale.codes), psn_no=sale.psn_no, setl_id=sale.setl_id,
                         trdn_flag=sale.trdn_flag, cnt=sale.cnt)), result_type=Sale)


@door
def return_sale(app: Gongji, who: Principal, key: Key, sale: SaleIn) -> Written[Sale]:
    require_institution(who)
    return app.write(who, key=key, operation="trace.return", request=to_json(sale, SaleIn),
                     fn=lambda uow: Sale(sale.codes, return_sale_in(uow, who.id,
                                                                    codes=list(sale.codes))),
                     result_type=Sale)


def record_sale_in(uow: UnitOfWork, fixmedins_code: str, *, med_list_codg: str,
                   codes: list[str], psn_no: str | None, setl_id: str | None,
                   trdn_flag: bool, cnt: Decimal) -> int:
    """A pharmacy's sale record (3505). Codes already recorded by the settlement they name
    are accepted as they are; a box sold anywhere else is refused (a resold box)."""
    parsed = [tracecode.parse(c) for c in codes]
    if not parsed:
        raise GongjiError("TRACE_CODE_MISSING", feedetl_sn=med_list_codg)
    pack_cnt = _pack_cnt(uow, fixmedins_code, med_list_codg) if trdn_flag else None
    if trdn_flag and len(parsed) != 1:
        raise GongjiError("TRACE_CODE_COUNT", feedetl_sn=med_list_codg,
                          expected="1 (split sale)", given=len(parsed))
    fraction = tracecode.part_of_box(med_list_codg, cnt, pack_cnt=pack_cnt) if trdn_flag \
        else Fraction(1)
    store.lock_boxes(uow.conn, [c.key for c in parsed])
    recorded = 0
    for code in parsed:
        sold = store.sold(uow.conn, code.key)
        if setl_id and any(s.setl_id == setl_id for s in sold):
            continue  # the settlement recorded it already
        box = tracecode.Box(med_list_codg, med_list_codg, code, fraction, trdn_flag, pack_cnt)
        tracecode.check_sales([box], {code.key: [tracecode.Sold(Fraction(s.fraction),
                                                                s.trdn_flag) for s in sold]})
        store.add_sale(uow.conn, new_code("T"), code_key=code.key, raw=code.raw,
                       psn_no=psn_no, fixmedins_code=fixmedins_code,
                       med_list_codg=med_list_codg, setl_id=setl_id, fraction=fraction,
                       trdn_flag=trdn_flag, at=uow.now)
        recorded += 1
    return recorded


def _pack_cnt(uow: UnitOfWork, fixmedins_code: str, med_list_codg: str) -> int | None:
    """Units in the item's box, from the catalog of the institution's region (None if the
    catalog does not say: the sale's count is then the part of the box)."""
    admdvs = institutions.get_in(uow, fixmedins_code).admdvs
    item = catalog.lookup(uow, admdvs, [med_list_codg], uow.today).get(med_list_codg)
    return item.pack_cnt if item else None


def return_sale_in(uow: UnitOfWork, fixmedins_code: str, *, codes: list[str]) -> int:
    """A pharmacy takes boxes back (3506): their codes are free again."""
    returned = 0
    for code in (tracecode.parse(c) for c in codes):
        returned += store.return_sold(uow.conn, code.key, fixmedins_code, at=uow.now)
    return returned


# -- untraced stock (无码库) -------------------------------------------------------------------

MAX_STOCK = 1_000_000
"""Boxes of one drug in one registration at most."""


@door
def register_stock(app: Gongji, who: Principal, key: Key, stock: StockIn) -> Written[StockView]:
    """An institution registers its stock of a drug bought before trace codes were required:
    lines of that drug without a code are then settled while the stock lasts."""
    require_institution(who)
    return app.write(who, key=key, operation="trace.stock", request=to_json(stock, StockIn),
                     fn=lambda uow: register_stock_in(uow, who.id, stock),
                     result_type=StockView)


def register_stock_in(uow: UnitOfWork, fixmedins_code: str, stock: StockIn) -> StockView:
    if not 1 <= stock.quantity <= MAX_STOCK:
        raise GongjiError("VALIDATION_ERROR", fields=f"quantity (1 to {MAX_STOCK} boxes)")
    inst = institutions.get_in(uow, fixmedins_code)
    tracecode.check_stock_date(
        stock.bought_on, uow.policy(inst.admdvs).settlement.trace_codes_required_from)
    item = catalog.lookup(uow, inst.admdvs, [stock.med_list_codg], uow.today).get(
        stock.med_list_codg)
    if item is None or not item.is_drug:
        raise GongjiError("CATALOG_ITEM_NOT_FOUND", code=stock.med_list_codg)
    store.add_stock(uow.conn, new_code("U"), admdvs=inst.admdvs, fixmedins_code=fixmedins_code,
                    med_list_codg=stock.med_list_codg, quantity=stock.quantity,
                    bought_on=stock.bought_on, at=uow.now)
    uow.record("trace.stock", subject=fixmedins_code,
               detail={"med_list_codg": stock.med_list_codg, "quantity": stock.quantity,
                       "bought_on": stock.bought_on.isoformat()})
    return next(s for s in _stock_views(uow, fixmedins_code, [stock.med_list_codg]))


@door
def list_stock(app: Gongji, who: Principal) -> list[StockView]:
    """The institution's untraced stock, per drug: registered, sold, left."""
    require_institution(who)
    return app.read(lambda uow: stock_in(uow, who.id), principal=who)


def stock_in(uow: UnitOfWork, fixmedins_code: str) -> list[StockView]:
    return _stock_views(uow, fixmedins_code, None)


def lock_boxes(uow: UnitOfWork, keys: Iterable[str]) -> None:
    """A settlement's sales of these boxes (codes' keys, or untraced stock's) queue here until
    it is written, so two at once cannot both take a box's, or the stock's, last units."""
    store.lock_boxes(uow.conn, keys)


def stock_left(uow: UnitOfWork, fixmedins_code: str, items: list[str]) -> dict[str, Fraction]:
    """For a settlement: what is left of the institution's untraced stock of these drugs
    (absent: none registered). A settlement locks the stock first (lock_boxes)."""
    if not items:
        return {}
    return {v.med_list_codg: Fraction(v.left)
            for v in _stock_views(uow, fixmedins_code, items)}


def _stock_views(uow: UnitOfWork, fixmedins_code: str,
                 items: list[str] | None) -> list[StockView]:
    rows = store.stock_of(uow.conn, fixmedins_code, items)
    per: dict[str, list[store.StockRow]] = {}
    for r in rows:
        per.setdefault(r.med_list_codg, []).append(r)
    keys = {i: tracecode.stock_key(fixmedins_code, i) for i in per}
    taken = store.taken(uow.conn, keys.values())
    out = []
    for item, regs in sorted(per.items()):
        registered = sum(r.quantity for r in regs)
        sold = taken.get(keys[item], Fraction(0))
        out.append(StockView(item, registered, str(sold), str(max(registered - sold,
                                                                  Fraction(0))),
                             min(r.bought_on for r in regs)))
    return out
