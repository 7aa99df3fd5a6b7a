"""What people type, made plain before the strict rules read it (issue 18, point 6).

Chinese input methods often type full-width digits and letters ("２０００"), the ideographic
full stop ("。") for a decimal point and the ideographic space (U+3000). At the edge (form
fields and REST strings for amounts, ID numbers, codes, PINs and dates) these become their
ASCII forms and the ends are trimmed; the strict parsers then run unchanged, so nothing is
guessed: "2000。5" reads as "2000.5", "2,000" is still refused.
"""

from __future__ import annotations

import unicodedata
from typing import Any

_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})
_SPACES = " \t\r\n\u3000\u00a0"
ECHO_MAX = 20
"""An error repeats at most this many characters of a value it refuses, then "…"."""


def _narrow(ch: str) -> str:
    """Full-width ASCII forms (U+FF01 to U+FF5E) to ASCII; everything else as it is."""
    return unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch


def plain(text: str) -> str:
    """Full-width digits, letters and signs as ASCII, 。 and ． as ".", spaces (U+3000 too)
    trimmed from both ends."""
    return "".join(_narrow(c) for c in text.translate(_DOTS)).strip(_SPACES)


def plain_any(value: Any) -> Any:
    """plain() for a string; any other value (a JSON number, null) as it came."""
    return plain(value) if isinstance(value, str) else value


def cut(text: str, limit: int = ECHO_MAX) -> str:
    """At most `limit` characters of a value, then "…": what a message may repeat."""
    return text if len(text) <= limit else text[:limit] + "…"
