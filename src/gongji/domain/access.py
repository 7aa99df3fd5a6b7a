"""What a person may do on whose records: their own, or a relative's through a proxy.

A family proxy (亲情账户) lets the holder act for a relative who cannot use a smartphone: show
their insurance code, open their wallet (代开通), see their balances and accept money sent to
them. It never lets the holder move the relative's money out or change who may: sending
transfers, setting a PIN, binding and unbinding stay with the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gongji.domain.errors import GongjiError


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an operator, a person, an institution, the system, or nobody yet
    (anonymous: a login, a public trace-code query)."""

    kind: str
    id: str
    role: str = ""

    @property
    def scope(self) -> str:
        """The namespace of this caller's idempotency keys."""
        return f"{self.kind}:{self.id}"

    def __str__(self) -> str:
        return self.scope


SYSTEM = Principal("system", "gongji")
ANONYMOUS = Principal("anonymous", "-")
COMMAND_LINE = Principal("operator", "cli", "admin")
"""The operator at the command line: whoever may run `gongji` on the server's machine."""


class Act(StrEnum):
    READ = "read"
    SHOW_CODE = "show_code"
    OPEN_WALLET = "open_wallet"
    PLACE_OF_USE = "place_of_use"
    ACCEPT_TRANSFER = "accept_transfer"
    SEND_TRANSFER = "send_transfer"
    SET_PIN = "set_pin"
    BIND = "bind"
    PAY_CONTRIBUTION = "pay_contribution"
    CLOSE_WALLET = "close_wallet"
    FILE = "file"
    """Out-of-area filing: children often do it for an elderly parent."""
    SWITCH = "switch"
    """Authorization switches guard the account: the person only."""
    CLAIM = "claim"
    """A hand claim (手工报销): children often claim for a parent; the reimbursement goes to
    the bank account the claim names, which the insured region's reviewer checks."""
    PAY_ONLINE = "pay_online"
    """Authorize an online order's 医保 payment (payAuthNo): as showing the relative's code at
    the counter, children often order medicine for a parent; they confirm with their own
    PIN, and the money paid is the relative's for the relative's care."""


PROXY_MAY = frozenset({Act.READ, Act.SHOW_CODE, Act.OPEN_WALLET, Act.PLACE_OF_USE,
                       Act.ACCEPT_TRANSFER, Act.FILE, Act.CLAIM,
                       Act.PAY_ONLINE})


def check_may(act: Act, *, actor: str, subject: str, proxy_for: frozenset[str]) -> None:
    """Refuse unless the actor is the subject, or holds a proxy for them and the act allows."""
    if actor == subject:
        return
    if subject in proxy_for:
        if act in PROXY_MAY:
            return
        raise GongjiError("PROXY_NOT_ALLOWED", act=act.value)
    raise GongjiError("FORBIDDEN")
