"""What the file exchange gives, and its limits."""

from __future__ import annotations

from dataclasses import dataclass

FILE_DAYS = 1
"""Uploaded and generated files can be downloaded for a day."""
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Stored:
    file_qury_no: str
    filename: str
