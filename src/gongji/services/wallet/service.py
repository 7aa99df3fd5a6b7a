"""The 医保钱包: open (by the person or a proxy, 代开通), place of use, close, and what is in it.

A wallet holds quota per sponsor (the quota model): money sent by a sponsor stays an earmark of
that sponsor's personal account, spendable only by the wallet's owner and returned to the
sponsor when their binding ends. A wallet is usable where both the owner's insured region and
the wallet's place of use have the wallet enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update

from gongji.domain.access import Act
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.privacy import mask_name
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services.access import authorize
from gongji.services.door import door
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import accounts, bindings, holds, wallet_transfers, wallets


@dataclass(frozen=True, slots=True)
class QuotaView:
    sponsor_psn_no: str
    sponsor_name_masked: str
    relation: str | None
    """What the wallet's owner is to the sponsor, while their binding is active."""
    balance: int


@dataclass(frozen=True, slots=True)
class WalletView:
    psn_no: str
    status: str
    """open, closed, or none (never opened)."""
    place_of_use: str | None
    opened_at: datetime | None
    opened_by_proxy: bool
    insuplc_admdvs: str | None
    enabled: bool
    """The wallet is live in the owner's insured region and place of use today."""
    place_of_use_change: bool
    personal_account: int | None
    """The owner's own personal account balance (employees), fen."""
    quotas: tuple[QuotaView, ...]
    quota_total: int


@door
def open_wallet(app: Gongji, who: Principal, key: Key, psn_no: str,
                place_of_use: str | None = None) -> Written[WalletView]:
    def run(uow: UnitOfWork) -> WalletView:
        authorize(uow, who, Act.OPEN_WALLET, psn_no)
        people.person(uow.conn, psn_no)
        home = people.insured_region(uow.conn, psn_no)
        place = place_of_use or home
        uow.region(place, field="place_of_use")
        if place != home and not uow.policy(home).wallet.place_of_use_change:
            raise GongjiError("PLACE_OF_USE_CHANGE_DISABLED")
        _check_enabled(uow, home, place)
        row = _wallet(uow, psn_no, lock=True)
        if row is not None and row.status == "open":
            raise GongjiError("WALLET_ALREADY_OPEN")
        values = {"status": "open", "place_of_use": place, "opened_at": uow.now,
                  "opened_by": who.id, "closed_at": None}
        if row is None:
            uow.conn.execute(insert(wallets).values(psn_no=psn_no, **values))
        else:
            uow.conn.execute(update(wallets).where(wallets.c.psn_no == psn_no).values(**values))
        uow.record("wallet.open", subject=psn_no, chain=home,
                   detail={"place_of_use": place, "by_proxy": who.id != psn_no})
        return view(uow, psn_no)

    return app.write(who, key=key, operation="wallet.open",
                     request={"psn_no": psn_no, "place_of_use": place_of_use}, fn=run,
                     result_type=WalletView)


@door
def change_place(app: Gongji, who: Principal, key: Key, psn_no: str,
                 place_of_use: str) -> Written[WalletView]:
    def run(uow: UnitOfWork) -> WalletView:
        authorize(uow, who, Act.PLACE_OF_USE, psn_no)
        row = _wallet(uow, psn_no, lock=True)
        if row is None or row.status != "open":
            raise GongjiError("WALLET_NOT_OPEN", who=Bi("本人", "owner"))
        home = people.insured_region(uow.conn, psn_no)
        if not uow.policy(home).wallet.place_of_use_change:
            raise GongjiError("PLACE_OF_USE_CHANGE_DISABLED")
        uow.region(place_of_use, field="place_of_use")
        _check_enabled(uow, home, place_of_use)
        uow.conn.execute(update(wallets).where(wallets.c.psn_no == psn_no)
                         .values(place_of_use=place_of_use))
        uow.record("wallet.place_of_use", subject=psn_no, chain=home,
                   detail={"from": row.place_of_use, "to": place_of_use})
        return view(uow, psn_no)

    return app.write(who, key=key, operation="wallet.place_of_use",
                     request={"psn_no": psn_no, "place_of_use": place_of_use}, fn=run,
                     result_type=WalletView)


@door
def close_wallet(app: Gongji, who: Principal, key: Key,
                 psn_no: str) -> Written[WalletView]:
    """Close a wallet: refused while transfers wait; every unused quota goes back to its
    sponsor, so no money is stranded in a closed wallet."""
    def run(uow: UnitOfWork) -> WalletView:
        from gongji.services.family.service import return_quota

        authorize(uow, who, Act.CLOSE_WALLET, psn_no)
        row = _wallet(uow, psn_no, lock=True)
        if row is None or row.status != "open":
            raise GongjiError("WALLET_NOT_OPEN", who=Bi("本人", "owner"))
        waiting = uow.conn.execute(
            select(wallet_transfers.c.id).join(holds, holds.c.id == wallet_transfers.c.hold_id)
            .where((wallet_transfers.c.sender_psn_no == psn_no)
                   | (wallet_transfers.c.receiver_psn_no == psn_no),
                   holds.c.state == "pending")).first()
        if waiting is not None:
            raise GongjiError("WALLET_HAS_PENDING")
        for q in _quota_accounts(uow, psn_no):
            return_quota(uow, q.sponsor, psn_no)
        uow.conn.execute(update(wallets).where(wallets.c.psn_no == psn_no)
                         .values(status="closed", closed_at=uow.now))
        uow.record("wallet.close", subject=psn_no)
        return view(uow, psn_no)

    return app.write(who, key=key, operation="wallet.close", request={"psn_no": psn_no},
                     fn=run, result_type=WalletView)


@door
def get(app: Gongji, who: Principal, psn_no: str) -> WalletView:
    def run(uow: UnitOfWork) -> WalletView:
        authorize(uow, who, Act.READ, psn_no)
        people.person(uow.conn, psn_no)
        return view(uow, psn_no)

    return app.read(run)


def view(uow: UnitOfWork, psn_no: str) -> WalletView:
    row = _wallet(uow, psn_no)
    basic = people.basic_enrollment(uow.conn, psn_no)
    home = basic.insuplc_admdvs if basic else None
    personal = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=psn_no))
    active = {b.sponsor_psn_no: b.relation for b in uow.conn.execute(
        select(bindings.c.sponsor_psn_no, bindings.c.relation).where(
            bindings.c.beneficiary_psn_no == psn_no, bindings.c.status == "active"))}
    quotas = []
    for q in _quota_accounts(uow, psn_no):
        if q.balance == 0 and q.sponsor not in active:
            continue
        sponsor = people.person(uow.conn, q.sponsor)
        quotas.append(QuotaView(q.sponsor, mask_name(sponsor.name), active.get(q.sponsor),
                                int(q.balance)))
    place = row.place_of_use if row is not None else None
    enabled = bool(home) and uow.policy(home).wallet.enabled and (  # type: ignore[arg-type]
        place is None or uow.policy(place).wallet.enabled)
    return WalletView(
        psn_no=psn_no, status=row.status if row is not None else "none", place_of_use=place,
        opened_at=row.opened_at if row is not None else None,
        opened_by_proxy=row is not None and row.opened_by != psn_no,
        insuplc_admdvs=home, enabled=enabled,
        place_of_use_change=bool(home) and uow.policy(home).wallet.place_of_use_change,  # type: ignore[arg-type]
        personal_account=personal.balance if personal else None,
        quotas=tuple(quotas), quota_total=sum(q.balance for q in quotas))


def _wallet(uow: UnitOfWork, psn_no: str, *, lock: bool = False) -> Row[Any] | None:
    q = select(wallets).where(wallets.c.psn_no == psn_no)
    if lock:
        q = q.with_for_update()
    return uow.conn.execute(q).first()


def _quota_accounts(uow: UnitOfWork, psn_no: str) -> list[Row[Any]]:
    rows: list[Row[Any]] = list(uow.conn.execute(
        select(accounts.c.sponsor, accounts.c.balance).where(
            accounts.c.kind == AccountKind.WALLET_QUOTA.value, accounts.c.owner == psn_no)
        .order_by(accounts.c.id)))
    return rows


def _check_enabled(uow: UnitOfWork, home: str, place: str) -> None:
    for region in dict.fromkeys([home, place]):
        if not uow.policy(region).wallet.enabled:
            raise GongjiError("WALLET_REGION_DISABLED", who=Bi("本人", "owner"), admdvs=region)
