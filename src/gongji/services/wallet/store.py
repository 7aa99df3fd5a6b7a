"""The wallets table, as typed records (a transfer locks the sender's wallet row; a
settlement asks whether the wallet is open)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from gongji.store import fast
from gongji.store.tables import person_region, wallets

_STATUS = fast.Prepared(select(wallets.c.status).where(wallets.c.psn_no == bindparam("psn_no")))
_WALLET = select(wallets).where(wallets.c.psn_no == bindparam("psn_no"))
_WALLET_BY = {lock: fast.Prepared(_WALLET.with_for_update() if lock else _WALLET)
              for lock in (False, True)}


@dataclass(frozen=True, slots=True)
class WalletRecord:
    psn_no: str
    status: str
    """open or closed."""
    place_of_use: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None

    @property
    def open(self) -> bool:
        return self.status == "open"


def wallet(conn: Connection, psn_no: str, *, lock: bool = False) -> WalletRecord | None:
    """A person's wallet (locked: a sender's transfers of a day are counted under it)."""
    r = _WALLET_BY[lock].run(conn, {"psn_no": psn_no}).first()
    return None if r is None else WalletRecord(r.psn_no, r.status, r.place_of_use,
                                               r.opened_at, r.opened_by, r.closed_at)


def is_open(conn: Connection, psn_no: str) -> bool:
    return bool(_STATUS.run(conn, {"psn_no": psn_no}).scalar() == "open")


def add(conn: Connection, psn_no: str, **values: Any) -> None:
    conn.execute(insert(wallets).values(admdvs=person_region(psn_no), psn_no=psn_no, **values))


def change(conn: Connection, psn_no: str, **values: Any) -> None:
    conn.execute(update(wallets).where(wallets.c.psn_no == psn_no).values(**values))
