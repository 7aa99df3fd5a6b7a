"""A demo cashier at /cashier."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/cashier", include_in_schema=False)
