"""Field checks by the specification's types: char N, 16,2 amounts, 16,4 counts, 16,6 prices,
dates and times. A bad field is refused by name and nothing is written.

Tolerant in form, strict in meaning: a form real serializers emit that the specification does
not name (a T between date and time, fractional seconds, an explicit UTC offset, a compact
yyyyMMdd, an amount 12.340, a code sent as a number) is accepted and noted with `tolerated`;
anything whose meaning would have to be guessed (a date alone for a moment, a fen below the
second decimal, a code that lost its leading zero) is refused by name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from gongji.domain.clock import SHANGHAI
from gongji.domain.dates import EARLIEST, LATEST
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.money import from_decimal

_DT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?P<sep>[ T])([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.(?P<frac>[0-9]{1,9}))?(?P<zone>Z|[+-][0-9]{2}:?[0-9]{2})?")
"""yyyy-MM-dd HH:mm:ss, or with a T, fractional seconds, Z or an offset (ISO 8601)."""
_DT14 = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})")
_D = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_D8 = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
"""A numeric string: ASCII digits only (Decimal alone would take "１２", "1_000", "+5",
".5", "Infinity")."""
_BEIJING = timedelta(hours=8)


def bad(field: str, zh: str, en: str) -> GongjiError:
    return GongjiError("GATEWAY_FIELD_INVALID", field=field, reason=Bi(zh, en))


@dataclass(frozen=True, slots=True)
class Deviation:
    """A field sent in a form the specification does not name, and accepted (the conformance
    kit reports them to the vendor)."""

    field: str
    zh: str
    en: str


_noted: ContextVar[list[Deviation] | None] = ContextVar("gateway_deviations", default=None)


def tolerated(field: str, zh: str, en: str) -> None:
    """Note a tolerance taken for this message (a no-op outside `collecting`)."""
    seen = _noted.get()
    if seen is not None and len(seen) < 200:
        seen.append(Deviation(field, zh, en))


@contextmanager
def collecting() -> Iterator[list[Deviation]]:
    """Collect the tolerances taken while one message is read."""
    seen: list[Deviation] = []
    token = _noted.set(seen)
    try:
        yield seen
    finally:
        _noted.reset(token)


def _in_window(field: str, year: int) -> None:
    """Dates lie in 1900-2099 (domain.dates): a year 0001 or 9999 is a field error, and a
    UTC offset applied to it can never run off the calendar."""
    if not EARLIEST.year <= year <= LATEST.year:
        raise bad(field, f"应在 {EARLIEST} 至 {LATEST} 之间",
                  f"must lie between {EARLIEST} and {LATEST}")


def _wall(field: str, parts: tuple[str, ...]) -> datetime:
    """A Shanghai wall-clock moment from its digits; an impossible one (02-30, 24:00) is
    refused, and so is one outside the calendar window."""
    y, mo, d, h, mi, sec = (int(p) for p in parts)
    _in_window(field, y)
    try:
        return datetime(y, mo, d, h, mi, sec, tzinfo=SHANGHAI)
    except ValueError:
        raise bad(field, "不是有效时间", "is not a valid time") from None


def _moment(field: str, text: str) -> tuple[datetime, list[tuple[str, str]]] | None:
    """A moment in Asia/Shanghai, whole seconds, from a datetime text and the tolerances it
    took; None when the text is no datetime at all. Fractional seconds are dropped, never
    rounded up (business time is to the second); an explicit offset is converted, which keeps
    the moment it names."""
    if (c := _DT14.fullmatch(text)) is not None:
        return _wall(field, c.groups()), [
            ("紧凑格式 yyyyMMddHHmmss", "compact yyyyMMddHHmmss")]
    m = _DT.fullmatch(text)
    if m is None:
        return None
    notes: list[tuple[str, str]] = []
    if m["sep"] == "T":
        notes.append(("日期与时间以 T 分隔", "date and time separated by T (ISO 8601)"))
    if m["frac"] is not None:
        notes.append(("秒的小数部分已舍去（不进位）", "fractional seconds dropped, never rounded"))
    at = _wall(field, m.groups()[:3] + m.groups()[4:7])
    zone = m["zone"]
    if zone is None:
        return at, notes
    hours, minutes = (0, 0) if zone == "Z" else (int(zone[1:3]), int(zone[-2:]))
    if hours > 23 or minutes > 59:
        raise bad(field, "时区偏移不合法", "has an invalid UTC offset")
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if zone[0] == "-" else 1)
    if offset == _BEIJING:
        notes.append(("带时区偏移 +08:00", "carries the offset +08:00"))
    else:
        notes.append((f"带时区偏移 {zone}，已换算为北京时间",
                      f"offset {zone} converted to Asia/Shanghai"))
    here = at.replace(tzinfo=timezone(offset)).astimezone(SHANGHAI)
    _in_window(field, here.year)  # an offset may carry it across the window's edge
    return here, notes


def _note(field: str, notes: list[tuple[str, str]]) -> None:
    for zh, en in notes:
        tolerated(field, zh, en)


def _trimmed(value: str, notes: list[tuple[str, str]]) -> str:
    """Padding around a value (fixed-width CHAR columns of PB and Delphi clients) is
    ignored and noted; inside a value it is not."""
    text = value.strip()
    if text != value:
        notes.append(("首尾空白已忽略", "surrounding whitespace ignored"))
    return text


class Reader:
    """Reads one object of the input, naming each field by its path (input.data.psn_no)."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise bad(path, "应为对象", "must be an object")
        self.data = data
        self.path = path

    def _raw(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise bad(f"{self.path}.{name}", "必填", "is required")
            return None
        return value

    def char(self, name: str, size: int, *, required: bool = False,
             allowed: set[str] | None = None) -> str | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            tolerated(f"{self.path}.{name}", "代码以数字发送", "code sent as a JSON number")
            value = str(value)  # some HIS send codes as numbers; 310.0 or 1e2 is no code
        if not isinstance(value, str):
            raise bad(f"{self.path}.{name}", "应为字符串", "must be a string")
        if len(value) > size:
            raise bad(f"{self.path}.{name}", f"超过 {size} 位", f"is longer than {size}")
        if allowed is not None and value not in allowed:
            raise bad(f"{self.path}.{name}", "取值不在代码表内",
                      f"is not one of {', '.join(sorted(allowed))}")
        return value

    def need(self, name: str, size: int, *, allowed: set[str] | None = None) -> str:
        value = self.char(name, size, required=True, allowed=allowed)
        assert value is not None
        return value

    def number(self, name: str, places: int, *, required: bool = False,
               signed: bool = False) -> Decimal | None:
        """A 16,places number (JSON number or numeric string); at most 16 digits. Zeros past
        the scale are dropped and noted (12.340 is 12.34: nothing is lost); any other digit
        there is refused, never rounded (12.345 yuan is not 12.34 or 12.35)."""
        value = self._raw(name, required)
        if value is None:
            return None
        field = f"{self.path}.{name}"
        notes: list[tuple[str, str]] = []
        if isinstance(value, str):
            text = _trimmed(value, notes)
            if not _NUMBER.fullmatch(text):
                raise bad(field, "应为数值", "must be a number")
            if "e" in text.lower():
                notes.append(("数值以科学计数法书写", "number written in E notation"))
            d = Decimal(text)
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            d = Decimal(value)
        else:
            raise bad(field, "应为数值", "must be a number")
        if not d.is_finite():
            raise bad(field, "应为数值", "must be a number")
        if d and d.adjusted() >= 16 - places:
            raise bad(field, "超出 16 位", "has more than 16 digits")
        if int(d.as_tuple().exponent) < -places:
            try:
                kept = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
            except InvalidOperation:
                kept = None
            if kept is None or kept != d:
                raise bad(field, f"最多 {places} 位小数", f"has more than {places} decimals")
            notes.append((f"超过 {places} 位的小数都是 0，已忽略",
                          f"zeros past {places} decimals dropped"))
            d = kept
        elif int(d.as_tuple().exponent) > 0:
            d = d.quantize(Decimal(1))  # 1.5E+2 is 150
        if d < 0 and not signed:
            raise bad(field, "不能为负", "must not be negative")
        _note(field, notes)
        return d

    def fen(self, name: str, *, required: bool = False, signed: bool = False) -> int | None:
        d = self.number(name, 2, required=required, signed=signed)
        return None if d is None else from_decimal(d, field=f"{self.path}.{name}",
                                                    allow_negative=signed)

    def when(self, name: str, *, required: bool = False) -> datetime | None:
        """A datetime (yyyy-MM-dd HH:mm:ss, Asia/Shanghai). A date alone is refused: it names
        no moment, and midnight would be a guess."""
        value = self._raw(name, required)
        if value is None:
            return None
        field = f"{self.path}.{name}"
        if not isinstance(value, str):
            raise bad(field, "格式应为 yyyy-MM-dd HH:mm:ss", "must be yyyy-MM-dd HH:mm:ss")
        notes: list[tuple[str, str]] = []
        text = _trimmed(value, notes)
        if _D.fullmatch(text) or _D8.fullmatch(text):
            raise bad(field, "应为日期时间 yyyy-MM-dd HH:mm:ss，只有日期不能确定时刻",
                      "must be yyyy-MM-dd HH:mm:ss: a date alone names no moment")
        found = _moment(field, text)
        if found is None:
            raise bad(field, "格式应为 yyyy-MM-dd HH:mm:ss", "must be yyyy-MM-dd HH:mm:ss")
        at, more = found
        _note(field, notes + more)
        return at

    def day(self, name: str, *, required: bool = False) -> date | None:
        """A date (yyyy-MM-dd). A datetime at 00:00:00 is the date some serializers write
        for a Date; any other time of day is refused (which day it means would be a guess)."""
        value = self._raw(name, required)
        if value is None:
            return None
        field = f"{self.path}.{name}"
        if not isinstance(value, str):
            raise bad(field, "格式应为 yyyy-MM-dd", "must be yyyy-MM-dd")
        notes: list[tuple[str, str]] = []
        text = _trimmed(value, notes)
        plain = _D.fullmatch(text)
        compact = None if plain else _D8.fullmatch(text)
        if plain or compact:
            if compact:
                notes.append(("紧凑格式 yyyyMMdd", "compact yyyyMMdd"))
            match = plain or compact
            assert match is not None
            y, mo, d = (int(p) for p in match.groups())
            _in_window(field, y)
            try:
                day = date(y, mo, d)
            except ValueError:
                raise bad(field, "不是有效日期", "is not a valid date") from None
            _note(field, notes)
            return day
        found = _moment(field, text)
        if found is None:
            raise bad(field, "格式应为 yyyy-MM-dd", "must be yyyy-MM-dd")
        at, more = found
        if at.time() != time(0):
            raise bad(field, "应为日期 yyyy-MM-dd，不能带 00:00:00 以外的时刻",
                      "must be yyyy-MM-dd: a time of day other than 00:00:00 is refused")
        _note(field, [*notes, *more, ("日期以 00:00:00 的日期时间发送",
                                       "a date sent as a datetime at 00:00:00")])
        return at.date()

    def obj(self, name: str, *, required: bool = True) -> Reader | None:
        value = self._raw(name, required)
        return None if value is None else Reader(value, f"{self.path}.{name}")

    def need_obj(self, name: str) -> Reader:
        r = self.obj(name)
        assert r is not None
        return r

    def objs(self, name: str, *, required: bool = False, most: int = 1000) -> list[Reader]:
        value = self._raw(name, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise bad(f"{self.path}.{name}", "应为数组", "must be an array")
        if len(value) > most:
            raise bad(f"{self.path}.{name}", f"最多 {most} 条", f"has more than {most} items")
        return [Reader(v, f"{self.path}.{name}[{i}]") for i, v in enumerate(value)]
