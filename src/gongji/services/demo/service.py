"""Demo data for `gongji demo`: a family across three provinces, fund accounts per region.

Believable and idempotent (every step has a fixed key, so seeding twice changes nothing). The
family is left so that a newcomer can do the story themselves: open wallets, bind a parent in
another province, send, see the limits, watch a transfer come back at 06:00.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TypeVar

from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan
from gongji.ledger.kinds import AccountKind
from gongji.services.catalog import service as catalog
from gongji.services.catalog import store as catalog_store
from gongji.services.demo.model import (
    CATALOG_START,
    DEMO_PIN,
    DEMO_REGIONS,
    FAMILY,
    INSTITUTIONS,
    OPENING_POOL_FEN,
    DemoPerson,
    Summary,
    certno_of,
    demo_person,
    key_of,
    role_of,
)
from gongji.services.door import door
from gongji.services.enrollment import service as enrollment
from gongji.services.family import service as family
from gongji.services.institutions import service as institutions
from gongji.services.institutions import store as institutions_store
from gongji.services.ledger.service import ensure_region_accounts
from gongji.services.people.service import person_by_certno
from gongji.services.pins import service as pins
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork
from gongji.services.wallet import service as wallet

__all__ = ["demo_person", "key_of", "role_of"]
"""What callers still reach here though this module does not use it (the model's lookups,
under their old names)."""

T = TypeVar("T")


@door
def seed(app: Gongji) -> Summary:
    regions = []
    for admdvs, name in DEMO_REGIONS.items():
        pool: int = app.write(SYSTEM, key=f"demo-fund-{admdvs}", operation="demo.seed_region",
                              request={"admdvs": admdvs}, result_type=int,
                              fn=partial(_fund, admdvs=admdvs)).value
        regions.append((admdvs, name, format_yuan(pool)))

    psn: dict[str, str] = {}
    for p in FAMILY:
        psn[p.key] = _person(app, p)
    wei, fang = Principal("person", psn["wei"]), Principal("person", psn["fang"])
    _quietly(lambda: wallet.open_wallet(app, fang, "demo-wallet-fang", psn["fang"]))
    b = _quietly(lambda: family.request(app, wei, "demo-bind-fang", family.RequestBinding(
        certno_of(FAMILY[1]), "王芳", "sponsor", "spouse")))
    if b is not None:
        _quietly(lambda: family.respond(app, fang, "demo-consent-fang", b.value.id, True))

    people = [(certno_of(p), p.name, psn[p.key], p.role) for p in FAMILY]
    items = _catalog(app)
    for code, name, level, admdvs in INSTITUTIONS:
        _quietly(partial(institutions.register, app, SYSTEM, f"demo-inst-{code}",
                         institutions.RegisterInstitution(code, name, level, admdvs)))
    key = _hospital_key(app)
    hints = [
        "Portal: open / on a phone or a narrow window and log in with an ID number below; the "
        "one-time code shows in this console (sandbox) and in the console's outbox.",
        "Story: 张伟 opens his wallet and asks his mother 李秀英 (Henan) to bind; she opens hers "
        "and consents; he sends 2000.00 and she accepts, three times; the fourth that day is "
        "refused (3 a day), as is a second one while the first still waits; one not accepted "
        "comes back at 06:00 (move the clock in the console); ending the binding returns her "
        "unused quota. 张丽 in Guangdong shows the not-live refusal.",
        "Settle: the cashier at /cashier (log in to the console first) sells at a demo "
        "pharmacy; the person then sees every yuan explained under History. Programs sign "
        "requests with the institution key above (docs/ARCHITECTURE.md, 'Institutions') or "
        "speak the national interface: python examples/his_client.py --operator-token <token>.",
    ]
    return Summary(regions, people, DEMO_PIN, hints,
                   [(c, n, a) for c, n, _, a in INSTITUTIONS], key, items)


def _catalog(app: Gongji) -> int:
    """The demo catalog, national, loaded once."""
    count = app.read_conn(catalog_store.count)
    if count:
        return count
    report = catalog.import_rows(app, SYSTEM, "000000", catalog.demo_rows(),
                                 begndate=CATALOG_START, version="demo-2026")
    return report.imported


def _hospital_key(app: Gongji) -> tuple[str, str, str]:
    code = INSTITUTIONS[0][0]
    found = app.read_conn(lambda c: institutions_store.live_key(c, code))
    if found is not None:
        return code, found.key_id, app.sealer.open(found.secret, context=found.key_id)
    k = institutions.create_key(app, SYSTEM, code)
    return code, k.key_id, k.secret


def _fund(uow: UnitOfWork, *, admdvs: str) -> int:
    accts = {a.kind: a for a in ensure_region_accounts(uow, admdvs)}
    pool = accts[AccountKind.FUND_POOL]
    if pool.balance == 0:
        uow.ledger.transfer(accts[AccountKind.CASH].id, pool.id, OPENING_POOL_FEN,
                            code="demo.opening", memo="demo opening balance", admdvs=admdvs)
    return uow.ledger.account(pool.id).balance


def _person(app: Gongji, p: DemoPerson) -> str:
    certno = certno_of(p)
    found = app.read(lambda uow: person_by_certno(uow.conn, certno))
    psn_no = found.psn_no if found else enrollment.register(
        app, SYSTEM, f"demo-person-{p.key}",
        enrollment.RegisterPerson(certno, p.name, p.phone)).value.psn_no
    _quietly(lambda: enrollment.enroll(app, SYSTEM, f"demo-enroll-{p.key}", enrollment.Enroll(
        psn_no=psn_no, insutype=p.insutype, psn_type=p.psn_type, insuplc_admdvs=p.insuplc,
        begndate=date(2020, 1, 1) if p.brdy.year < 2020 else p.brdy)))
    if p.credit_fen:
        enrollment.credit(app, SYSTEM, f"demo-credit-{p.key}",
                          enrollment.Credit(psn_no, p.credit_fen, "demo: 个人账户划入"))
    _quietly(lambda: pins.set_pin(app, Principal("person", psn_no), f"demo-pin-{p.key}",
                                  psn_no, DEMO_PIN))
    return psn_no


def _quietly(fn: Callable[[], T]) -> T | None:
    """Seeding is re-run on every `gongji demo`: a step already done (ENROLLMENT_EXISTS,
    PIN set, binding there) is fine."""
    try:
        return fn()
    except GongjiError:
        return None
