"""Drug trace codes (药品追溯码): parse what a scanner sends, and judge sales of one box.

Since July 2025 a sale must scan the code of every box before insurance pays, so a code that
was already sold is the sign of a returned (回流), swapped or fake drug. Three printed forms
exist: the 20-digit 码上放心 code (starts with 8), makers' own 20-digit codes, and GS1
DataMatrix element strings carrying (01) GTIN-14, (17) expiry, (10) batch and (21) serial.

Every form reduces to one canonical `key` naming the box, so the same box scanned as
"(01)...(21)..." on one till and as a raw DataMatrix string on another is the same box.
Parsing is strict: a code we cannot read exactly is refused rather than guessed at, because
a wrong key would either hide a second sale or accuse an honest one.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal, NoReturn

from gongji.domain.edge import cut
from gongji.domain.errors import Bi, GongjiError

TraceKind = Literal["mssf", "numeric", "gs1"]
SaleState = Literal["unsold", "sold_once", "sold_split", "sold_to_you", "sold_to_other",
                    "sold_more_than_once"]
"""The answers a query gives about one code (DOMAIN.md §6): "sold_once" and "sold_split"
to anyone, "sold_to_you" and "sold_to_other" in their place to a signed-in person."""

GS = "\x1d"
"""ASCII group separator: FNC1 as a scanner transmits it inside a GS1 element string."""
SYMBOLOGY_ID = "]d2"
"""The prefix a scanner may send before a GS1 DataMatrix (ISO/IEC 15424)."""
MAX_LENGTH = 128
"""Far above any valid code (about 80 characters); longer input is refused before parsing."""

_DIGITS20 = re.compile(r"[0-9]{20}")
_AI_TEXT = re.compile(r"\(([0-9]{2,4})\)")
_GTIN = re.compile(r"[0-9]{14}")
_YYMMDD = re.compile(r"[0-9]{6}")
_SET82 = re.compile(r"[!\"%-?A-Z_a-z]{1,20}")
"""GS1 AI encodable character set 82: printable ASCII without space # $ @ [ \\ ] ^ ` { | } ~."""

_FIXED = {"01": 14, "17": 6}
"""AIs of fixed length: they end by length, so no separator follows them."""
_VARIABLE = ("10", "21")
"""AIs of variable length (at most 20): they end at a separator or the end of the string."""
_NAMES = {"01": Bi("商品条码 GTIN", "the GTIN"), "17": Bi("有效期", "the expiry date"),
          "10": Bi("批号", "the batch"), "21": Bi("序列号", "the serial number")}


@dataclass(frozen=True, slots=True)
class TraceCode:
    kind: TraceKind
    key: str
    """The box's identity: the 20 digits, or "01" + GTIN + "21" + serial for GS1."""
    gtin: str | None
    serial: str | None
    batch: str | None
    expiry: date | None
    """The last day the drug may be used; YYMMDD with DD=00 means the month's last day."""
    raw: str
    """What was scanned, stripped of surrounding whitespace (including a stray GS)."""


def parse(text: str) -> TraceCode:
    """Read one scanned code in any of the accepted forms, or refuse it with the reason.

    A string of digits only is a 20-digit code; a GS1 element string that is all digits must
    carry "(AI)" brackets or the "]d2" prefix, since without them it cannot be told apart
    from a maker's numeric code.
    """
    raw = text.strip() if isinstance(text, str) else ""
    if not raw:
        _refuse("追溯码为空", "the code is empty")
    if len(raw) > MAX_LENGTH:
        _refuse(f"超过 {MAX_LENGTH} 个字符", f"longer than {MAX_LENGTH} characters")
    if not raw.isascii():
        _refuse("含有非 ASCII 字符（如全角数字或汉字）",
                "it contains non-ASCII characters (such as full-width digits)")
    if raw.isdigit():
        if not _DIGITS20.fullmatch(raw):
            _refuse(f"数字追溯码应为 20 位，实为 {len(raw)} 位",
                    f"a numeric code has 20 digits, this one has {len(raw)}")
        kind: TraceKind = "mssf" if raw.startswith("8") else "numeric"
        return TraceCode(kind=kind, key=raw, gtin=None, serial=None, batch=None, expiry=None,
                         raw=raw)
    if raw.startswith("("):
        elements = _split_bracketed(raw)
    elif raw.startswith("]"):
        if not raw.startswith(SYMBOLOGY_ID):
            _refuse("只支持 GS1 DataMatrix（]d2）", "only GS1 DataMatrix (]d2) is supported")
        elements = _split_raw(raw[len(SYMBOLOGY_ID):])
    elif raw[:2] in _NAMES:
        elements = _split_raw(raw)
    else:
        _refuse("应为 20 位数字或 GS1 格式（如 (01)…(21)…）",
                "expected 20 digits or a GS1 element string such as (01)...(21)...")
    return _from_elements(elements, raw)


def expired(code: TraceCode, day: date) -> bool:
    """True from the day after the expiry date; a code without (17) is never expired here."""
    return code.expiry is not None and day > code.expiry


@dataclass(frozen=True, slots=True)
class Recorded:
    """A sale of a code that stands (not returned), as the public query sees it."""

    sale_id: str
    psn_no: str
    split: bool = False
    fraction: Fraction = Fraction(1)


def query_outcome(sales: Sequence[Recorded], asker_psn_no: str | None) -> SaleState:
    """The answer for one code, given its sales not returned.

    An anonymous asker gets the official, neutral answers (NHSA's 药品追溯信息查询): no sale
    record; a sale record exists (check it was you); split sales (拆零) within the box; or
    more than one sale. Only a signed-in person learns whether a sale was to them. A sale
    listed twice (the same sale_id) counts once, so a duplicated row cannot make an honest box
    look resold; the parts of one box sold split, to one buyer or several, are one sale while
    they add up to no more than the box.
    """
    rows = list({s.sale_id: s for s in sales}.values())
    if not rows:
        return "unsold"
    one_box = all(s.split for s in rows) and sum((s.fraction for s in rows), Fraction(0)) <= 1
    if len(rows) > 1 and not one_box:
        return "sold_more_than_once"
    if not asker_psn_no:
        return "sold_once" if len(rows) == 1 else "sold_split"
    return "sold_to_you" if asker_psn_no in {s.psn_no for s in rows} else "sold_to_other"


OUTCOME_TEXT: dict[SaleState, Bi] = {
    "unsold": Bi("未查询到该追溯码的医保销售记录。如您刚买到这盒药，销售记录上传可能有延迟，"
                 "请 2 天后再查询；仍查询不到的，请向医保部门举报",
                 "No insurance sale of this code is recorded. If you have just bought this "
                 "box, its record may not be uploaded yet: check again in two days, and if "
                 "there is still no record, report it to the medical insurance bureau"),
    "sold_once": Bi("查询到 1 次销售记录，请核对是否为您本人购买；如非本人购买，"
                    "这盒药此前可能已被售出（回流药、串换药或假药），请向医保部门举报",
                    "One sale of this code is recorded: check that it was you who bought it. "
                    "If it was not, the box may have been sold before (resold, swapped or "
                    "fake): report it to the medical insurance bureau"),
    "sold_split": Bi("查询到拆零销售记录：这盒药按最小单位分次售出，合计未超过整盒，"
                     "属正常情况；请核对其中是否有您本人的购买",
                     "This box was sold in parts (split sales), together no more than the "
                     "whole box, which is normal: check that one of them was yours"),
    "sold_to_you": Bi("查询到销售记录，购买人是您本人", "A sale of this code is recorded, to you"),
    "sold_to_other": Bi("查询到销售记录，购买人不是您本人；如这盒药是您刚买到的，"
                        "可能是回流药、串换药或假药，请向医保部门举报",
                        "A sale of this code is recorded, to someone else: if you have just "
                        "bought this box, it may be resold, swapped or fake; report it to the "
                        "medical insurance bureau"),
    "sold_more_than_once": Bi("该追溯码已被多次销售，可能是回流药、串换药或假药，"
                              "请谨慎购买并向医保部门举报",
                              "This code was sold more than once: the box may be resold, "
                              "swapped or fake; report it"),
}


def split_allowed(sold_fraction_before: Fraction, this_fraction: Fraction) -> bool:
    """May one more split sale (拆零) of a box go ahead? Only while the box is not oversold.

    sold_fraction_before is what earlier sales not returned took (0 for the first); the parts
    of one box may add up to exactly one box and no more.
    """
    if sold_fraction_before < 0 or this_fraction <= 0:
        raise ValueError("split sale fractions must be positive")
    return sold_fraction_before + this_fraction <= 1


@dataclass(frozen=True, slots=True)
class Box:
    """One box a drug line sells (or, split, a part of one)."""

    feedetl_sn: str
    med_list_codg: str
    code: TraceCode
    fraction: Fraction
    split: bool
    pack_cnt: int | None = None
    """Units in the box (最小包装数量) when known: refusals then count in units."""


@dataclass(frozen=True, slots=True)
class Sold:
    """An earlier sale of a box that was not returned."""

    fraction: Fraction
    split: bool


def part_of_box(feedetl_sn: str, cnt: Decimal, *, pack_cnt: int | None) -> Fraction:
    """The part of its box a split line (拆零) sells. With the box's unit count known (the
    catalog's pack_cnt), cnt counts units: a whole number from 1 to pack_cnt. Without it, cnt
    is the part itself, more than 0 and at most 1."""
    given = cut(str(cnt))
    if pack_cnt is not None:
        if cnt != cnt.to_integral_value() or not 1 <= cnt <= pack_cnt:
            raise GongjiError("TRACE_SPLIT_INVALID", feedetl_sn=feedetl_sn, reason=Bi(
                f"应为 1 至 {pack_cnt} 的整数（每盒 {pack_cnt} 个最小单位），实为 {given}",
                f"it must be a whole number of units from 1 to {pack_cnt} (the box holds "
                f"{pack_cnt}), not {given}"))
        return Fraction(int(cnt), pack_cnt)
    if not 0 < cnt <= 1:
        raise GongjiError("TRACE_SPLIT_INVALID", feedetl_sn=feedetl_sn, reason=Bi(
            f"应大于 0 且不超过 1 盒，实为 {given}", f"it must be more than 0 and at most one "
            f"box, not {given}"))
    return Fraction(cnt)


def boxes_of(feedetl_sn: str, med_list_codg: str, cnt: Decimal, codes: Sequence[str], *,
             split: bool, required: bool, pack_cnt: int | None = None) -> list[Box]:
    """The boxes a drug line sells: one code a box (TRACE_CODE_COUNT otherwise), or for a
    split sale (拆零) one code and the part of its box; no code where codes are not yet
    required, or where the line is settled from registered untraced stock (the caller's
    untraced_draws)."""
    if not codes:
        if required:
            raise GongjiError("TRACE_CODE_MISSING", feedetl_sn=feedetl_sn)
        return []
    parsed = [parse(c) for c in codes]
    if split:
        if len(parsed) != 1:
            raise GongjiError("TRACE_CODE_COUNT", feedetl_sn=feedetl_sn,
                              expected="1 (split sale of one box)", given=len(parsed))
        return [Box(feedetl_sn, med_list_codg, parsed[0],
                    part_of_box(feedetl_sn, cnt, pack_cnt=pack_cnt), True, pack_cnt)]
    if cnt != cnt.to_integral_value() or len(parsed) != int(cnt):
        raise GongjiError("TRACE_CODE_COUNT", feedetl_sn=feedetl_sn, expected=str(cnt),
                          given=len(parsed))
    return [Box(feedetl_sn, med_list_codg, c, Fraction(1), False, pack_cnt) for c in parsed]


def check_sales(boxes: Sequence[Box], sold: Mapping[str, Sequence[Sold]]) -> None:
    """A box is sold once: refused when a code repeats in the sale, or was sold before and
    not returned, unless every sale of it is a split one (拆零, to one buyer or several) and
    the parts fit in one box: the unit past the box is refused (TRACE_SPLIT_OVER)."""
    seen: set[str] = set()
    for b in boxes:
        if b.code.key in seen:
            raise GongjiError("TRACE_CODE_SOLD", code=masked(b.code.raw))
        seen.add(b.code.key)
        before = sold.get(b.code.key, ())
        if not before:
            continue
        if not (b.split and all(s.split for s in before)):
            raise GongjiError("TRACE_CODE_SOLD", code=masked(b.code.raw))
        taken = sum((s.fraction for s in before), Fraction(0))
        if not split_allowed(taken, b.fraction):
            raise GongjiError("TRACE_SPLIT_OVER", code=masked(b.code.raw),
                              left=_units(max(1 - taken, Fraction(0)), b.pack_cnt),
                              asked=_units(b.fraction, b.pack_cnt),
                              box=_units(Fraction(1), b.pack_cnt))


def _units(part: Fraction, pack_cnt: int | None) -> str:
    """A part of a box as the refusal names it: units when the box's count is known."""
    if pack_cnt is not None and (part * pack_cnt).denominator == 1:
        return str(part * pack_cnt)
    return str(part)


# -- untraced stock (无码库) -------------------------------------------------------------------

def stock_key(fixmedins_code: str, med_list_codg: str) -> str:
    """Where an institution's sales from its registered untraced stock of one item are
    recorded: never a code a scanner can send (parse refuses a colon)."""
    return f"untraced:{fixmedins_code}:{med_list_codg}"


def check_stock_date(bought_on: date, required_from: date | None) -> None:
    """Untraced stock is what an institution held before trace codes were required."""
    if required_from is None or bought_on >= required_from:
        raise GongjiError("UNTRACED_STOCK_DATE", bought_on=bought_on.isoformat(),
                          required_from=required_from.isoformat() if required_from else "-")


def untraced_draws(lines: Sequence[tuple[str, str, Fraction]],
                   left: Mapping[str, Fraction]) -> dict[str, Fraction]:
    """Drug lines sold without a code after codes are required, as (feedetl_sn, item, boxes):
    each is settled from the institution's registered untraced stock of the item while it
    lasts. left is what remains per item (absent: none was ever registered). Returns the
    boxes to take per item; refuses the line that does not fit."""
    take: dict[str, Fraction] = {}
    for feedetl_sn, item, boxes in lines:
        if item not in left:
            raise GongjiError("TRACE_CODE_MISSING", feedetl_sn=feedetl_sn)
        want = take.get(item, Fraction(0)) + boxes
        if want > left[item]:
            raise GongjiError("UNTRACED_STOCK_EXHAUSTED", feedetl_sn=feedetl_sn,
                              left=str(max(left[item] - take.get(item, Fraction(0)),
                                           Fraction(0))), asked=str(boxes))
        take[item] = want
    return take


def masked(raw: str) -> str:
    """A code as refusals show it: the start and the last four."""
    return raw[:6] + "…" + raw[-4:] if len(raw) > 12 else raw


def gtin_check_digit(first13: str) -> str:
    """GS1 mod 10: weights 3 and 1 alternating from the digit next to the check digit."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(first13)))
    return str(-total % 10)


def _split_bracketed(raw: str) -> list[tuple[str, str]]:
    """The human-readable form, "(01)069...(21)XYZ", into [("01", "069..."), ("21", "XYZ")]."""
    parts = _AI_TEXT.split(raw)
    if parts[0]:
        _refuse("括号格式应以 (应用标识符) 开头", "the bracketed form must start with (AI)")
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _split_raw(body: str) -> list[tuple[str, str]]:
    """A raw element string (FNC1 sent as GS, or as the text "<GS>") into (AI, value) pairs."""
    body = body.replace("<GS>", GS)
    elements: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        ai = body[i:i + 2]
        if ai not in _NAMES:
            if len(ai) == 2 and ai.isdigit():
                _unknown(ai)
            _refuse(f"第 {i + 1} 个字符处应为应用标识符",
                    f"an application identifier was expected at character {i + 1}")
        i += 2
        if ai in _FIXED:
            end = i + _FIXED[ai]
        else:
            sep = body.find(GS, i)
            end = len(body) if sep < 0 else sep
        elements.append((ai, body[i:end]))
        i = end
        if body[i:i + 1] == GS:
            i += 1
    return elements


def _from_elements(elements: list[tuple[str, str]], raw: str) -> TraceCode:
    values: dict[str, str] = {}
    for ai, value in elements:
        if ai not in _NAMES:
            _unknown(ai)
        if ai in values:
            _refuse(f"应用标识符 ({ai}) 重复出现",
                    f"application identifier ({ai}) appears twice")
        values[ai] = value
    for ai in ("01", "21"):
        if ai not in values:
            name = _NAMES[ai]
            _refuse(f"缺少 ({ai}) {name.zh}", f"({ai}) {name.en} is missing")
    gtin = values["01"]
    if not _GTIN.fullmatch(gtin):
        _refuse("(01) GTIN 应为 14 位数字", "(01) the GTIN must be 14 digits")
    if gtin_check_digit(gtin[:13]) != gtin[13]:
        _refuse("GTIN 校验位不符", "the GTIN check digit does not match")
    for ai in _VARIABLE:
        if ai in values and not _SET82.fullmatch(values[ai]):
            name = _NAMES[ai]
            _refuse(f"({ai}) {name.zh}应为 1-20 位字母、数字或 GS1 允许的符号",
                    f"({ai}) {name.en} must be 1-20 letters, digits or GS1 symbols")
    expiry = _expiry(values["17"]) if "17" in values else None
    serial = values["21"]
    return TraceCode(kind="gs1", key=f"01{gtin}21{serial}", gtin=gtin, serial=serial,
                     batch=values.get("10"), expiry=expiry, raw=raw)


def _expiry(text: str) -> date:
    """YYMMDD in 2000-2099 (drug expiry dates are never in the last century); DD=00 is
    the month's last day."""
    if not _YYMMDD.fullmatch(text):
        _refuse("(17) 有效期应为 6 位数字 YYMMDD", "(17) the expiry date must be 6 digits YYMMDD")
    year, month, day = 2000 + int(text[:2]), int(text[2:4]), int(text[4:])
    if not 1 <= month <= 12:
        _refuse("(17) 有效期月份应为 01-12", "(17) the expiry month must be 01-12")
    last = calendar.monthrange(year, month)[1]
    if day > last:
        _refuse(f"(17) 有效期日期超出当月天数 {last}",
                f"(17) the expiry day is past the month's {last} days")
    return date(year, month, day or last)


def _unknown(ai: str) -> NoReturn:
    _refuse(f"不支持的应用标识符 ({ai})", f"unsupported application identifier ({ai})")


def _refuse(zh: str, en: str) -> NoReturn:
    raise GongjiError("TRACE_CODE_INVALID", reason=Bi(zh, en))
