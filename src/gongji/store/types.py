"""Column types that keep the same meaning on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from gongji.domain.clock import SHANGHAI, UTC


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware Asia/Shanghai datetimes out; stored as UTC.

    PostgreSQL keeps timestamptz; SQLite has no time zone type, so the value is stored as
    naive UTC text, which still sorts and compares correctly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("naive datetime cannot be stored: business time carries a zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI)  # type: ignore[no-any-return]
