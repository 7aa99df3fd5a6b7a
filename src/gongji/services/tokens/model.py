"""Operator API tokens: the roles, the public prefix, and a token as it is made."""

from __future__ import annotations

from dataclasses import dataclass

TOKEN_PREFIX = "gj_op_"  # noqa: S105 - a public prefix that makes leaked tokens greppable
ROLES = ("admin", "operator", "auditor")


@dataclass(frozen=True, slots=True)
class NewToken:
    id: str
    name: str
    role: str
    token: str
    """The secret itself: shown once, never stored."""
