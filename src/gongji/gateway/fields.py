"""Field checks by the specification's types: char N, 16,2 amounts, 16,4 counts, 16,6 prices,
dates and times. A bad field is refused by name and nothing is written."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.money import from_decimal

_DT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_D = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def bad(field: str, zh: str, en: str) -> GongjiError:
    return GongjiError("GATEWAY_FIELD_INVALID", field=field, reason=Bi(zh, en))


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
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            value = str(value)  # some HIS send codes as numbers
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
        """A 16,places number (JSON number or numeric string); at most 16 digits."""
        value = self._raw(name, required)
        if value is None:
            return None
        try:
            d = Decimal(value) if isinstance(value, str | int | Decimal) and \
                not isinstance(value, bool) else None
        except InvalidOperation:
            d = None
        field = f"{self.path}.{name}"
        if d is None or not d.is_finite():
            raise bad(field, "应为数值", "must be a number")
        if int(d.as_tuple().exponent) < -places:
            raise bad(field, f"最多 {places} 位小数", f"has more than {places} decimals")
        if len(d.quantize(Decimal(1)).copy_abs().as_tuple().digits) > 16 - places:
            raise bad(field, "超出 16 位", "has more than 16 digits")
        if d < 0 and not signed:
            raise bad(field, "不能为负", "must not be negative")
        return d

    def fen(self, name: str, *, required: bool = False, signed: bool = False) -> int | None:
        d = self.number(name, 2, required=required, signed=signed)
        return None if d is None else from_decimal(d, field=f"{self.path}.{name}",
                                                    allow_negative=signed)

    def when(self, name: str, *, required: bool = False) -> datetime | None:
        value = self._raw(name, required)
        if value is None:
            return None
        field = f"{self.path}.{name}"
        if not isinstance(value, str) or not _DT.fullmatch(value):
            raise bad(field, "格式应为 yyyy-MM-dd HH:mm:ss", "must be yyyy-MM-dd HH:mm:ss")
        try:
            return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        except ValueError:
            raise bad(field, "不是有效时间", "is not a valid time") from None

    def day(self, name: str, *, required: bool = False) -> date | None:
        value = self._raw(name, required)
        if value is None:
            return None
        field = f"{self.path}.{name}"
        if not isinstance(value, str) or not _D.fullmatch(value[:10]) or len(value) not in (
                10, 19):
            raise bad(field, "格式应为 yyyy-MM-dd", "must be yyyy-MM-dd")
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise bad(field, "不是有效日期", "is not a valid date") from None

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
