"""The 医保钱包: open (by the person or a proxy, 代开通), place of use, close, and what is in it.

A wallet holds quota per sponsor (the quota model): money sent by a sponsor stays an earmark of
that sponsor's personal account, spendable only by the wallet's owner and returned to the
sponsor when their binding ends. A wallet is usable where both the owner's insured region and
the wallet's place of use have the wallet enabled.
"""

from __future__ import annotations

from gongji.domain.access import Act, Principal
from gongji.domain.certno import CertInfo
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.privacy import mask_name
from gongji.ledger.kinds import AccountKind, account_code
from gongji.ledger.model import Account
from gongji.services.access import authorize
from gongji.services.door import door
from gongji.services.family import store as bindings
from gongji.services.people import service as people
from gongji.services.proxies import service as proxies
from gongji.services.regions import service as regions
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.transfers import store as transfers
from gongji.services.unit_of_work import UnitOfWork
from gongji.services.wallet import store
from gongji.services.wallet.model import QUOTA_RETURN, QuotaView, WalletView


@door
def open_wallet(app: Gongji, who: Principal, key: Key, psn_no: str,
                place_of_use: str | None = None) -> Written[WalletView]:
    """Open the wallet (the person, or a proxy holder: 代开通), in the insured region or a
    place of use where the region allows it."""
    def run(uow: UnitOfWork) -> WalletView:
        authorize(uow, who, Act.OPEN_WALLET, psn_no)
        relative = people.person(uow.conn, psn_no)
        home = people.insured_region(uow.conn, psn_no)
        if who.kind == "person" and who.id != psn_no:  # 代开通
            age = CertInfo(relative.certno, relative.brdy, relative.gend, "").age_on(uow.today)
            proxies.check_opening(uow, who.id, psn_no, age, home)
        place = place_of_use or home
        uow.region(place, field="place_of_use")
        if place != home and not uow.policy(home).wallet.place_of_use_change:
            raise GongjiError("PLACE_OF_USE_CHANGE_DISABLED")
        _check_enabled(uow, home, place)
        row = store.wallet(uow.conn, psn_no, lock=True)
        if row is not None and row.open:
            raise GongjiError("WALLET_ALREADY_OPEN")
        values = {"status": "open", "place_of_use": place, "opened_at": uow.now,
                  "opened_by": who.id, "closed_at": None}
        if row is None:
            store.add(uow.conn, psn_no, **values)
        else:
            store.change(uow.conn, psn_no, **values)
        uow.record("wallet.open", subject=psn_no, chain=home,
                   detail={"place_of_use": place, "by_proxy": who.id != psn_no})
        return view(uow, psn_no)

    return app.write(who, key=key, operation="wallet.open",
                     request={"psn_no": psn_no, "place_of_use": place_of_use}, fn=run,
                     result_type=WalletView)


@door
def change_place(app: Gongji, who: Principal, key: Key, psn_no: str,
                 place_of_use: str) -> Written[WalletView]:
    """Change the place of use (使用地变更) where the insured region allows it."""
    def run(uow: UnitOfWork) -> WalletView:
        authorize(uow, who, Act.PLACE_OF_USE, psn_no)
        row = store.wallet(uow.conn, psn_no, lock=True)
        if row is None or not row.open:
            raise GongjiError("WALLET_NOT_OPEN", who=Bi("本人", "owner"))
        home = people.insured_region(uow.conn, psn_no)
        if not uow.policy(home).wallet.place_of_use_change:
            raise GongjiError("PLACE_OF_USE_CHANGE_DISABLED")
        uow.region(place_of_use, field="place_of_use")
        _check_enabled(uow, home, place_of_use)
        store.change(uow.conn, psn_no, place_of_use=place_of_use)
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
        authorize(uow, who, Act.CLOSE_WALLET, psn_no)
        row = store.wallet(uow.conn, psn_no, lock=True)
        if row is None or not row.open:
            raise GongjiError("WALLET_NOT_OPEN", who=Bi("本人", "owner"))
        if transfers.waiting(uow.conn, psn_no):
            raise GongjiError("WALLET_HAS_PENDING")
        for q in _quotas(uow, psn_no):
            if q.sponsor:
                return_quota(uow, q.sponsor, psn_no)
        store.change(uow.conn, psn_no, status="closed", closed_at=uow.now)
        uow.record("wallet.close", subject=psn_no)
        return view(uow, psn_no)

    return app.write(who, key=key, operation="wallet.close", request={"psn_no": psn_no},
                     fn=run, result_type=WalletView)


@door
def get(app: Gongji, who: Principal, psn_no: str) -> WalletView:
    """The wallet: status, own account, quota per sponsor."""
    def run(uow: UnitOfWork) -> WalletView:
        authorize(uow, who, Act.READ, psn_no)
        people.person(uow.conn, psn_no)
        return view(uow, psn_no)

    return app.read(run, principal=who)


def view(uow: UnitOfWork, psn_no: str) -> WalletView:
    row = store.wallet(uow.conn, psn_no)
    basic = people.basic_enrollment(uow.conn, psn_no)
    home = basic.insuplc_admdvs if basic else None
    personal = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=psn_no))
    active = dict(bindings.sponsors(uow.conn, psn_no))
    quotas = []
    for q in _quotas(uow, psn_no):
        if q.sponsor is None or (q.balance == 0 and q.sponsor not in active):
            continue
        sponsor = people.person(uow.conn, q.sponsor)
        quotas.append(QuotaView(q.sponsor, mask_name(sponsor.name), active.get(q.sponsor),
                                q.balance))
    place = row.place_of_use if row is not None else None
    enabled = home is not None and uow.policy(home).wallet.enabled and (
        place is None or uow.policy(place).wallet.enabled)
    return WalletView(
        psn_no=psn_no, status=row.status if row is not None else "none", place_of_use=place,
        opened_at=row.opened_at if row is not None else None,
        opened_by_proxy=row is not None and row.opened_by != psn_no,
        insuplc_admdvs=home, enabled=enabled,
        place_of_use_change=home is not None and uow.policy(home).wallet.place_of_use_change,
        personal_account=personal.balance if personal else None,
        quotas=tuple(quotas), quota_total=sum(q.balance for q in quotas))


def return_quota(uow: UnitOfWork, sponsor: str, beneficiary: str) -> int:
    """Move the beneficiary's unused quota from this sponsor back to the sponsor's account
    (their binding ended, the wallet closed, or a settlement refunded quota after the binding
    ended); how much."""
    quota = uow.ledger.account_by_code(account_code(AccountKind.WALLET_QUOTA, owner=beneficiary,
                                                    sponsor=sponsor))
    if quota is None or quota.balance == 0:
        return 0
    home = uow.ledger.open_account(AccountKind.PERSONAL, owner=sponsor, admdvs=quota.admdvs)
    uow.ledger.transfer(quota.id, home.id, quota.balance, code=QUOTA_RETURN,
                        memo="binding ended: unused quota returns to the sponsor",
                        admdvs=quota.admdvs)
    return quota.balance


def is_open(uow: UnitOfWork, psn_no: str) -> bool:
    return store.is_open(uow.conn, psn_no)


def _quotas(uow: UnitOfWork, psn_no: str) -> list[Account]:
    """The person's quota accounts, one per sponsor who ever sent to them, in id order."""
    return uow.ledger.list_accounts(kind=AccountKind.WALLET_QUOTA, owner=psn_no, limit=10_000)


def _check_enabled(uow: UnitOfWork, home: str, place: str) -> None:
    for region in dict.fromkeys([home, place]):
        if not uow.policy(region).wallet.enabled:
            raise GongjiError("WALLET_REGION_DISABLED", who=Bi("本人", "owner"), admdvs=region,
                              region=regions.name_of(uow, region))
