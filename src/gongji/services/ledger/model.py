"""What the ledger's raw verbs take and give: commands for operators (open an account, move
money, hold, resolve or reverse), a resolved hold, and the entry codes they write. Accounts,
entries and holds are the journal's own records (gongji.ledger.model)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from gongji.ledger.model import Entry, Hold

ADJUST = "ledger.adjust"
"""The entry code of an operator's transfer."""
HOLD = "ledger.hold"
"""The entry code of an operator's hold."""

Progress = Callable[[str, int], None]
"""progress(check name, rows done so far) of a verification (the CLI's progress bar)."""


@dataclass(frozen=True, slots=True)
class OpenAccount:
    kind: str
    owner: str | None = None
    sponsor: str | None = None
    admdvs: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    debit_account_id: str
    credit_account_id: str
    amount: int
    memo: str = ""
    ext_ref: str | None = None


@dataclass(frozen=True, slots=True)
class CreateHold:
    source_account_id: str
    dest_account_id: str
    amount: int
    deadline: datetime
    memo: str = ""


@dataclass(frozen=True, slots=True)
class ResolveHold:
    hold_id: str
    action: Literal["post", "void"]
    memo: str = ""


@dataclass(frozen=True, slots=True)
class Reverse:
    entry_id: str
    memo: str = ""


@dataclass(frozen=True, slots=True)
class HoldResult:
    hold: Hold
    entry: Entry


@dataclass(frozen=True, slots=True)
class SigningKeyFiles:
    """A checkpoint signing key written to files: the private key (0600; keep it away from
    the database and its backups) and the public key verify checks with."""

    private_key: Path
    public_key: Path
    key_id: str


@dataclass(frozen=True, slots=True)
class CheckpointMade:
    path: Path
    at: datetime
    key_id: str
    chains: int
    records: int
    """How many audit records the checkpointed heads cover, over every chain."""


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """Check the chains against the latest checkpoint in `anchors` signed by the key in
    `public_key` (both files, PEM for the key)."""

    anchors: Path
    public_key: Path
