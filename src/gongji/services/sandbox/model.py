"""The sandbox clock's limits (its doors give the time itself and the holds returned)."""

from __future__ import annotations

MAX_ADVANCE_SECONDS = 366 * 86400
"""The most a form may advance the clock at once."""
