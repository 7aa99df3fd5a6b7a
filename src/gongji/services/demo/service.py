"""Demo data for `gongji demo`: a family across three provinces, fund accounts per region.

Believable and idempotent (every step has a fixed key, so seeding twice changes nothing). The
family is left so that a newcomer can do the story themselves: open wallets, bind a parent in
another province, send, see the limits, watch a transfer come back at 06:00.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import TypeVar

from gongji.domain.claims import amount_of
from gongji.domain.clock import business_date
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan
from gongji.ledger.kinds import AccountKind
from gongji.services.catalog import service as catalog
from gongji.services.catalog import store as catalog_store
from gongji.services.claims import service as claims
from gongji.services.claims.model import ClaimLineIn, LineDecision, Review, SubmitClaim
from gongji.services.demo.model import (
    CATALOG_START,
    DEMO_PIN,
    DEMO_REGIONS,
    FAMILY,
    INSTITUTIONS,
    OPENING_POOL_FEN,
    DemoPerson,
    Summary,
    about_of,
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
from gongji.services.prescriptions import service as prescriptions
from gongji.services.prescriptions.model import IssuePrescription, RxItemIn
from gongji.services.runtime import Gongji
from gongji.services.shop import model as shop
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork
from gongji.services.wallet import service as wallet

__all__ = ["about_of", "demo_person", "key_of", "role_of"]
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
    _claims(app, psn)
    _online_pharmacy(app, psn)
    hints = [
        "Portal: open / on a phone or a narrow window and log in with an ID number below; the "
        "one-time code shows in this console (sandbox) and in the console's outbox.",
        "Story: 张伟 opens his wallet and asks his mother 李秀英 (Henan) to bind; she opens hers "
        "and consents; he sends 2000.00 twice and she accepts, then a third she leaves "
        "waiting; a fourth is refused (3 a day, one waiting at a time); moving the clock to "
        "06:00 next morning in the console returns the one she left; ending the binding "
        "returns her unused quota. 张丽 in Guangdong shows the not-live refusal.",
        "Settle: the cashier at /cashier (log in to the console first) sells at a demo "
        "pharmacy; the person then sees every yuan explained under History. Programs sign "
        "requests with the institution key above (docs/ARCHITECTURE.md, 'Institutions') or "
        "speak the national interface: python examples/his_client.py --operator-token <token>.",
        "Hand claims (手工报销): 张建国 (Henan) stayed in the Chengdu hospital without a filing, "
        "paid in full and claimed at home: his claim is paid (portal: 更多 -> 报销; console "
        "outbox: the bank instruction). 李秀英's claim waits in the console's claims review: "
        "reduce a line, approve, pay, and she sees every yuan.",
        "Online pharmacy (网上购药): 共济网上药房 in Nanyang sells OTC drugs and one "
        "prescription drug; 李秀英 has an electronic prescription for it from the internet "
        "hospital. Once 张伟 holds a proxy for her (更多 -> 亲情账户) he orders for her at "
        "/shop with his own PIN, then sees the order, ships it (sandbox) and asks a refund "
        "at /orders.",
    ]
    return Summary(regions, people, DEMO_PIN, hints,
                   [(c, n, a) for c, n, _, a in INSTITUTIONS] +
                   [(shop.SHOP_CODE, shop.SHOP_NAME, shop.SHOP_ADMDVS),
                    (shop.HOSPITAL_CODE, shop.HOSPITAL_NAME, shop.SHOP_ADMDVS)], key, items)


def _online_pharmacy(app: Gongji, psn: dict[str, str]) -> None:
    """The online pharmacy (网上购药) in Nanyang beside the cashier, and the internet hospital
    that prescribes: 李秀英 gets an electronic prescription for the shop's prescription drug,
    valid three days from the day the demo starts (one a day: a restart on another day
    issues a fresh one; an order refunded gives its prescription back)."""
    for code, name, level, takes_wallet in (
            (shop.SHOP_CODE, shop.SHOP_NAME, "0", True),
            (shop.HOSPITAL_CODE, shop.HOSPITAL_NAME, "2", False)):
        _quietly(partial(institutions.register, app, SYSTEM, f"demo-inst-{code}",
                         institutions.RegisterInstitution(code, name, level, shop.SHOP_ADMDVS,
                                                          wallet_supported=takes_wallet)))
    day = business_date(app.clock.now()).isoformat()
    hospital = Principal("institution", shop.HOSPITAL_CODE)
    for days in (3, None):  # a region that allows fewer days: its default
        if _quietly(partial(
                prescriptions.issue, app, hospital, f"demo-rx-xiuying-{day}-{days}",
                IssuePrescription((RxItemIn(shop.RX_DRUG, Decimal(2)),), psn_no=psn["xiuying"],
                                  valid_days=days, dise_codg="J06.900"))) is not None:
            return


GALLBLADDER = (("331005001000000", "1", "1800"), ("330100003000000", "1", "800"),
               ("110200006000000", "5", "15"), ("110900001000000", "5", "30"),
               ("120100003000000", "5", "25"), ("220201001000000", "1", "60"),
               ("310701001000000", "2", "25"))
"""Five days for a laparoscopic cholecystectomy: surgery, anaesthesia, rounds, bed, nursing,
an ultrasound, two ECGs."""
CATARACT = (("331501001000000", "1", "1600"), ("110200006000000", "3", "15"),
            ("110900001000000", "3", "30"), ("120100003000000", "3", "25"))


def _claims(app: Gongji, psn: dict[str, str]) -> None:
    """Two hand claims for care in Chengdu without a filing (not settled directly): 张建国's
    from submission to payment, 李秀英's waiting for review in the console."""
    hospital, today = INSTITUTIONS[0][0], business_date(app.clock.now())

    def ask(who: str, invoice: str, dise: tuple[str, str],
            lines: tuple[tuple[str, str, str], ...]) -> SubmitClaim:
        fee = [ClaimLineIn(str(i), code, cnt, pric, amount_of(Decimal(cnt), Decimal(pric)))
               for i, (code, cnt, pric) in enumerate(lines, start=1)]
        return SubmitClaim(
            psn_no=psn[who], insutype="390", fixmedins_code=hospital, med_type="21",
            begndate=today - timedelta(days=8), enddate=today - timedelta(days=3),
            dise_codg=dise[0], dise_name=dise[1], invoice_no=invoice,
            medfee_sumamt=sum(f.det_item_fee_sumamt for f in fee), lines=tuple(fee),
            bank_name="中国农业银行南阳分行", bank_acct="6228480000001234567")

    paid = _quietly(lambda: claims.submit(
        app, Principal("person", psn["jianguo"]), "demo-claim-jianguo",
        ask("jianguo", "51010026110001", ("K80.200", "胆囊结石"), GALLBLADDER)))
    if paid is not None and paid.value.status == "submitted":
        cid = paid.value.claim_id
        _quietly(lambda: claims.review(app, SYSTEM, "demo-claim-review", cid, Review(
            True, (LineDecision("7", "1", "重复检查 one ECG was a repeat"),))))
        _quietly(lambda: claims.pay(app, SYSTEM, "demo-claim-pay", cid))
    _quietly(lambda: claims.submit(
        app, Principal("person", psn["xiuying"]), "demo-claim-xiuying",
        ask("xiuying", "51010026110002", ("H25.900", "老年性白内障"), CATARACT)))


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
