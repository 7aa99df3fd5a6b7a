"""Electronic prescriptions (电子处方): how long one is valid, which items need one, and whether
an order may be filled from it.

Why these rules, and where they come from:
- 《处方管理办法》(卫生部令第53号) 第十八条: 处方开具当日有效。特殊情况下需延长有效期的，
  由开具处方的医师注明有效期限，但有效期最长不得超过3天. Day 1 is the day of issue; the
  days are Asia/Shanghai calendar days, so a prescription written at 23:50 is still valid
  only until 23:59:59 that day unless the doctor extends it. The default and the maximum are
  policy data (policy.prescriptions), the maximum never above the law's 3.
- 第六条(五): 开具西药、中成药处方，每一种药品应当另起一行，每张处方不得超过5种药品.
- 《处方药与非处方药分类管理办法（试行）》: a prescription drug (处方药) is sold only against
  a prescription; a non-prescription drug (非处方药, OTC) is not. Which is which is the
  catalog's otc_flag (a decision: the national OTC list is data, not code).
- 国家医保局《关于积极推进"互联网+"医疗服务医保支付工作的指导意见》(医保发〔2020〕45号)
  and the e-prescription circulation guidance (医保电子处方流转): an electronic prescription
  is filled once, by the person it was issued to, for what it names in at most the
  quantities it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from gongji.domain.catalog import CatalogItem
from gongji.domain.clock import SHANGHAI, business_date, display
from gongji.domain.errors import Bi, GongjiError

LEGAL_MAX_VALID_DAYS = 3
"""第十八条: at most 3 days, whatever a policy document says."""
MAX_ITEMS = 5
"""第六条: at most 5 drugs on one prescription of western or patent drugs."""
CNT_DECIMALS = 5
"""A quantity has at most 5 decimals (the national interface's cnt is 16,4; split sales of
a box by the tablet need a little more)."""
MAX_CNT = Decimal("99999")
"""Units of one drug on one prescription at most."""

STATUSES = ("issued", "filled", "revoked")


@dataclass(frozen=True, slots=True)
class Prescription:
    """An electronic prescription as recorded. items: med_list_codg -> prescribed quantity."""

    hi_rxno: str
    psn_no: str
    issued_by: str
    issued_at: datetime
    valid_until: datetime
    """The last second it is valid (23:59:59 Asia/Shanghai of its last day)."""
    status: str
    items: Mapping[str, Decimal] = field(default_factory=dict)
    dise_codg: str | None = None
    filled_by: str | None = None
    filled_setl: str | None = None
    """What filled it (an order's or a settlement's id): a refund of that gives it back."""
    filled_at: datetime | None = None


def valid_until(issued_at: datetime, valid_days: int, *, max_valid_days: int) -> datetime:
    """The last second a prescription issued at `issued_at` is valid, for `valid_days`
    (1 = the day of issue only; 3 = through the day after tomorrow)."""
    top = min(max_valid_days, LEGAL_MAX_VALID_DAYS)
    if isinstance(valid_days, bool) or not isinstance(valid_days, int) or \
            not 1 <= valid_days <= top:
        raise GongjiError("RX_VALID_DAYS", given=str(valid_days)[:10], max_valid_days=top)
    last = business_date(issued_at) + timedelta(days=valid_days - 1)
    return datetime.combine(last, time(23, 59, 59), tzinfo=SHANGHAI)


def is_expired(rx: Prescription, now: datetime) -> bool:
    """Expired from 00:00:00 of the day after its last day (a moment within 23:59:59's second
    is still that day)."""
    return business_date(now) > business_date(rx.valid_until)


def needs_prescription(item: CatalogItem) -> bool:
    """A drug (西药中成药) that is not OTC needs a prescription; services, consumables and
    herbal pieces are not sold by prescription here."""
    return item.is_drug and not item.otc


def check_cnt(code: str, cnt: Decimal) -> Decimal:
    """A prescribed quantity: more than 0, at most MAX_CNT, at most 5 decimals."""
    try:
        ok = isinstance(cnt, Decimal) and cnt.is_finite() and 0 < cnt <= MAX_CNT and \
            -cnt.as_tuple().exponent <= CNT_DECIMALS  # type: ignore[operator]
    except (InvalidOperation, TypeError):
        ok = False
    if not ok:
        raise GongjiError("RX_ITEMS_INVALID", reason=Bi(
            f"{code} 的数量应大于 0、不超过 {MAX_CNT}、最多 {CNT_DECIMALS} 位小数",
            f"{code}: a quantity is more than 0, at most {MAX_CNT}, with at most "
            f"{CNT_DECIMALS} decimals"))
    return cnt


def cnt_text(cnt: Decimal) -> str:
    """A quantity as stored and shown: "2", "0.5" (no exponent, no trailing zeros)."""
    return format(cnt.normalize(), "f")


def check_items(lines: Iterable[tuple[str, Decimal]],
                catalog: Mapping[str, CatalogItem]) -> dict[str, Decimal]:
    """What a doctor prescribes: 1 to 5 drugs of the care region's catalog, each once, each
    quantity valid. `catalog` holds the items found (a code missing from it is not there)."""
    out: dict[str, Decimal] = {}
    for code, cnt in lines:
        if code in out:
            raise GongjiError("RX_ITEMS_INVALID", reason=Bi(f"{code} 重复", f"{code} twice"))
        item = catalog.get(code)
        if item is None:
            raise GongjiError("CATALOG_ITEM_NOT_FOUND", code=code)
        if not item.is_drug:
            raise GongjiError("RX_ITEM_NOT_DRUG", code=code)
        out[code] = check_cnt(code, cnt)
    if not 1 <= len(out) <= MAX_ITEMS:
        raise GongjiError("RX_ITEMS_INVALID", reason=Bi(
            f"每张处方 1 至 {MAX_ITEMS} 种药品（《处方管理办法》第六条），收到 {len(out)} 种",
            f"a prescription names 1 to {MAX_ITEMS} drugs (Article 6), got {len(out)}"))
    return out


def check_usable(rx: Prescription, psn_no: str, now: datetime) -> None:
    """Whether the prescription can be filled at all, for this person, now. The person is
    checked first: someone else's prescription tells nothing about its state."""
    if rx.psn_no != psn_no:
        raise GongjiError("RX_OTHER_PERSON", hi_rxno=rx.hi_rxno)
    check_open(rx, now)


def check_open(rx: Prescription, now: datetime) -> None:
    """Not revoked, not filled, not expired (what a fill checks again under its lock)."""
    if rx.status == "revoked":
        raise GongjiError("RX_REVOKED", hi_rxno=rx.hi_rxno)
    if rx.status == "filled":
        raise GongjiError("RX_ALREADY_FILLED", hi_rxno=rx.hi_rxno)
    if is_expired(rx, now):
        raise GongjiError("RX_EXPIRED", hi_rxno=rx.hi_rxno, valid_until=display(rx.valid_until))


def check_fill(rx: Prescription | None, psn_no: str, items: Iterable[tuple[str, Decimal]],
               now: datetime, *, hi_rxno: str = "") -> None:
    """An order of these prescription-drug lines (code, quantity) against the prescription:
    it exists, it is this person's, still open, and names each drug in at least the quantity
    asked (lines of one drug add up)."""
    if rx is None:
        raise GongjiError("RX_NOT_FOUND", hi_rxno=hi_rxno)
    check_usable(rx, psn_no, now)
    asked: dict[str, Decimal] = {}
    for code, cnt in items:
        asked[code] = asked.get(code, Decimal(0)) + cnt
    for code, cnt in asked.items():
        prescribed = rx.items.get(code)
        if prescribed is None:
            raise GongjiError("RX_ITEM_NOT_PRESCRIBED", hi_rxno=rx.hi_rxno, code=code)
        if cnt > prescribed:
            raise GongjiError("RX_QUANTITY_EXCEEDED", code=code, prescribed=cnt_text(prescribed),
                              asked=cnt_text(cnt))


def check_required(lines: Iterable[tuple[str, Decimal]],
                   items: Mapping[str, CatalogItem]) -> None:
    """An order with no prescription: refused at its first prescription drug."""
    for code, _cnt in lines:
        item = items.get(code)
        if item is not None and needs_prescription(item):
            raise GongjiError("RX_REQUIRED", code=code, name=item.name)


def prescribed_lines(lines: Iterable[tuple[str, Decimal]], items: Mapping[str, CatalogItem]
                     ) -> list[tuple[str, Decimal]]:
    """The lines a prescription is checked against: prescription drugs (OTC and non-drugs,
    and codes the catalog does not know, are someone else's business)."""
    return [(c, n) for c, n in lines if (i := items.get(c)) is not None and
            needs_prescription(i)]
