"""Demo data for `gongji demo`: a family across three provinces, fund accounts per region.

Believable and idempotent (every step has a fixed key, so seeding twice changes nothing). The
family is left so that a newcomer can do the story themselves: open wallets, bind a parent in
another province, send, see the limits, watch a transfer come back at 06:00.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TypeVar

from gongji.domain.certno import make_certno
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan
from gongji.ledger.kinds import AccountKind
from gongji.services.catalog import service as catalog
from gongji.services.door import door
from gongji.services.enrollment import service as enrollment
from gongji.services.family import service as family
from gongji.services.institutions import service as institutions
from gongji.services.ledger.service import ensure_region_accounts
from gongji.services.people.service import person_by_certno
from gongji.services.pins import service as pins
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork
from gongji.services.wallet import service as wallet

DEMO_REGIONS = {
    "510100": "四川省成都市 Chengdu, Sichuan",
    "411300": "河南省南阳市 Nanyang, Henan",
    "440100": "广东省广州市 Guangzhou, Guangdong",
}
OPENING_POOL_FEN = 50_000_000_00
"""Each demo region's pooled fund starts with 50 million yuan, paid in from outside (CASH)."""
DEMO_PIN = "135790"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DemoPerson:
    key: str
    name: str
    admdvs_born: str
    brdy: date
    seq: int
    phone: str
    insutype: str
    psn_type: str
    insuplc: str
    credit_fen: int
    role: str


FAMILY = (
    DemoPerson("wei", "张伟", "510104", date(1990, 3, 7), 123, "13800000001", "310", "1101",
               "510100", 12_000_00, "employee in Chengdu, the sponsor 成都在职职工（共济人）"),
    DemoPerson("fang", "王芳", "510107", date(1992, 8, 15), 246, "13800000002", "310", "1101",
               "510100", 9_000_00, "his wife, employee in Chengdu 妻子"),
    DemoPerson("jianguo", "张建国", "411302", date(1962, 5, 20), 135, "13800000003", "390",
               "1501", "411300", 0, "his father, resident in Nanyang, Henan 父亲（河南居民医保）"),
    DemoPerson("xiuying", "李秀英", "411302", date(1964, 11, 2), 248, "13800000004", "390",
               "1501", "411300", 0, "his mother, resident in Nanyang, Henan 母亲（河南居民医保）"),
    DemoPerson("defu", "张德福", "510104", date(1938, 1, 9), 111, "13800000005", "310", "1201",
               "510100", 30_000_00, "his grandfather, retired in Chengdu 祖父（退休）"),
    DemoPerson("li", "张丽", "440106", date(1994, 6, 30), 222, "13800000006", "310", "1101",
               "440100", 8_000_00, "his sister in Guangzhou: wallet not live yet 妹妹（广东）"),
    DemoPerson("xiaobao", "张小宝", "510104", date(2019, 9, 1), 357, "13800000001", "390",
               "1401", "510100", 0, "his son, a child (proxy needs an operator) 儿子"),
)


def certno_of(p: DemoPerson) -> str:
    return make_certno(p.admdvs_born, p.brdy, p.seq)


def role_of(p: DemoPerson, lang: str) -> str:
    """Who a demo person is, in one language ("employee in Chengdu ... 成都在职职工（共济人）")."""
    cut = next((i for i, ch in enumerate(p.role) if "\u4e00" <= ch <= "\u9fff"), len(p.role))
    return p.role[cut:].strip() if lang == "zh" else p.role[:cut].strip()


def key_of(certno: str) -> str | None:
    """Which demo person has this ID number (the pickers leave them out of their own list)."""
    return next((p.key for p in FAMILY if certno_of(p) == certno), None)


def demo_person(key: str) -> DemoPerson | None:
    return next((p for p in FAMILY if p.key == key), None)


INSTITUTIONS = (
    ("H51010000001", "成都共济医院（三级，演示）", "3", "510100"),
    ("H51010000002", "玉林社区卫生服务中心（一级，演示）", "1", "510100"),
    ("P51010000001", "成都康济大药房（演示）", "0", "510100"),
    ("P41130000001", "南阳仲景大药房（演示）", "0", "411300"),
)
"""A tertiary hospital, a community clinic and two pharmacies in different provinces."""
CATALOG_START = date(2024, 1, 1)


@dataclass(frozen=True, slots=True)
class Summary:
    regions: list[tuple[str, str, str]]
    """(admdvs, name, pooled fund in yuan)"""
    people: list[tuple[str, str, str, str]]
    """(certno, name, psn_no, who they are)"""
    pin: str
    hints: list[str]
    institutions: list[tuple[str, str, str]]
    """(fixmedins_code, name, admdvs)"""
    key: tuple[str, str, str]
    """An API key of the tertiary hospital: (fixmedins_code, key_id, secret)."""
    catalog_items: int


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
    from sqlalchemy import func, select

    from gongji.store.tables import catalog_items

    count = app.read_conn(lambda c: c.execute(select(func.count()).select_from(
        catalog_items)).scalar_one())
    if count:
        return int(count)
    report = catalog.import_rows(app, SYSTEM, "000000", catalog.demo_rows(),
                                 begndate=CATALOG_START, version="demo-2026")
    return report.imported


def _hospital_key(app: Gongji) -> tuple[str, str, str]:
    from sqlalchemy import select

    from gongji.store.tables import institution_keys

    code = INSTITUTIONS[0][0]
    row = app.read_conn(lambda c: c.execute(select(institution_keys.c.key_id,
                                                   institution_keys.c.secret).where(
        institution_keys.c.fixmedins_code == code, institution_keys.c.revoked_at.is_(None))
        .limit(1)).first())
    if row is not None:
        return code, row.key_id, row.secret
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
