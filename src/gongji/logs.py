"""Logging with request ids and personal data masked on the way out (never after the fact)."""

from __future__ import annotations

import contextvars
import json
import logging
import sys

from gongji.domain.privacy import scrub

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class MaskingFormatter(logging.Formatter):
    """Masks ID numbers and phone numbers in every formatted line, exceptions included."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key in ("method", "path", "status", "duration_ms", "code"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return scrub(json.dumps(out, ensure_ascii=False))


def setup(level: str = "info", *, json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Context())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(MaskingFormatter(
            "%(asctime)s %(levelname)-5s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger("gongji")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
