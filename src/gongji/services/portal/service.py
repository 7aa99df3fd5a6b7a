"""What each page of the family portal shows, read in one unit of work per page.

A page makes one call here and renders what comes back; the numbers on it come from one
snapshot, so a balance and the transfers beside it always agree. Everything is the caller's
own, or a relative's they hold a proxy for (亲情账户); personal data leaves masked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

from gongji.domain.access import Act, Principal
from gongji.domain.errors import GongjiError
from gongji.domain.regions import NATIONAL, Region, cross_province
from gongji.domain.relations import Relation
from gongji.services.access import authorize
from gongji.services.claims import service as claims
from gongji.services.claims import store as claims_store
from gongji.services.contributions import service as contributions
from gongji.services.credentials import service as credentials
from gongji.services.demo import model as demo
from gongji.services.door import door
from gongji.services.explanation import service as explanation
from gongji.services.family import service as family
from gongji.services.family.model import BindingView
from gongji.services.filing import service as filing
from gongji.services.institutions import service as institutions
from gongji.services.institutions.model import Lookup
from gongji.services.people import service as people
from gongji.services.pins import service as pins
from gongji.services.portal.model import (
    Binding,
    ClaimPage,
    ClaimsPage,
    CodePage,
    Explained,
    FamilyPage,
    History,
    Home,
    Me,
    More,
    Paid,
    Relative,
    StatementPage,
    Target,
    TraceCheck,
    TransferPage,
    Waiting,
    WalletPage,
    WherePage,
)
from gongji.services.proxies import service as proxies
from gongji.services.proxies.model import ProxyView
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.statement import service as statement
from gongji.services.tracing import service as tracing
from gongji.services.transfers import service as transfers
from gongji.services.transfers.model import TransferView
from gongji.services.unit_of_work import UnitOfWork
from gongji.services.wallet import service as wallet


@door
def me(app: Gongji, who: Principal) -> Me:
    """The person logged in, masked (every page's header)."""
    return app.read(lambda uow: _me(uow, who), principal=who)


@door
def home(app: Gongji, who: Principal) -> Home:
    def run(uow: UnitOfWork) -> Home:
        _person(who)
        return Home(_me(uow, who), wallet.view(uow, who.id),
                    _waiting(uow, who.id),
                    [Relative(p, wallet.view(uow, p.subject_psn_no),
                              _waiting(uow, p.subject_psn_no)) for p in _held(uow, who)],
                    statement.given_in(uow, who.id),
                    _to_consent(uow, who.id), _proxy_requests(uow, who.id))

    return app.read(run, principal=who)


@door
def code(app: Gongji, who: Principal, psn_no: str | None = None) -> CodePage:
    """A fresh insurance code (医保码); a proxy may show a relative's."""
    def run(uow: UnitOfWork) -> CodePage:
        _person(who)
        subject = psn_no or who.id
        token = credentials.issue_in(uow, who, subject)
        name = people.person(uow.conn, subject).masked.name_masked \
            if subject != who.id else None
        return CodePage(_me(uow, who), token,
                        int((token.expires_at - uow.now).total_seconds()), name)

    return app.transact(who, run)


@door
def family_page(app: Gongji, who: Principal) -> FamilyPage:
    def run(uow: UnitOfWork) -> FamilyPage:
        p = _person_of(uow, who)
        region = people.basic_enrollment(uow.conn, who.id)
        rules = uow.policy(region.insuplc_admdvs if region else "000000").mutual_aid
        return FamilyPage(
            _me(uow, who, p), sorted(rules.relations, key=list(Relation).index),
            rules.require_verified_relation,
            [Binding(b, b.sponsor_psn_no == who.id,
                     b.status == "pending" and b.requested_by != who.id)
             for b in family.views_of(uow, who.id)],
            demo.key_of(p.certno) if app.sandbox else None)

    return app.read(run, principal=who)


@door
def wallet_page(app: Gongji, who: Principal) -> WalletPage:
    def run(uow: UnitOfWork) -> WalletPage:
        _person(who)
        return WalletPage(
            _me(uow, who), wallet.view(uow, who.id),
            [(p, wallet.view(uow, p.subject_psn_no)) for p in _held(uow, who)],
            pins.has_pin_in(uow, who.id), _regions(uow))

    return app.read(run, principal=who)


@door
def transfer_page(app: Gongji, who: Principal) -> TransferPage:
    def run(uow: UnitOfWork) -> TransferPage:
        _person(who)
        w = wallet.view(uow, who.id)
        own = transfers.blocked(uow, who) if w.insuplc_admdvs else None
        return TransferPage(
            _me(uow, who),
            transfers.limits_in(uow, who.id) if w.insuplc_admdvs else None, own,
            [Target(b, None if own else transfers.blocked(uow, who, b.beneficiary_psn_no))
             for b in family.views_of(uow, who.id)
             if b.sponsor_psn_no == who.id and b.status == "active"],
            transfers.views_of(uow, who.id, limit=20), w.personal_account)

    return app.read(run, principal=who)


@door
def history(app: Gongji, who: Principal) -> History:
    def run(uow: UnitOfWork) -> History:
        _person(who)
        names = _names(uow)
        settled = svc.views_of_person(uow, who.id)
        return History(
            _me(uow, who), settled,
            [Paid(c, names(c.psn_no)) for c in contributions.views_of(uow, who.id)],
            transfers.views_of(uow, who.id, limit=100),
            {s.setl_id or "": _place(uow, s.mdtrt_id) for s in settled})

    return app.read(run, principal=who)


@door
def statement_page(app: Gongji, who: Principal, month: str | None = None,
                   psn_no: str | None = None) -> StatementPage:
    """收支明细: every movement of the person's personal account, the quota they hold and
    the quota they gave, one month (by default the latest with a movement); a proxy holder
    may read a relative's."""
    def run(uow: UnitOfWork) -> StatementPage:
        _person(who)
        subject = psn_no or who.id
        authorize(uow, who, Act.READ, subject)
        return StatementPage(_me(uow, who), statement.statement_in(uow, subject, month))

    return app.read(run, principal=who)


@door
def explained(app: Gongji, who: Principal, setl_id: str) -> Explained:
    """A settlement of the person's (or a relative's they hold a proxy for), every yuan."""
    def run(uow: UnitOfWork) -> Explained:
        _person(who)
        s = svc.view_in(uow, setl_id)
        authorize(uow, who, Act.READ, s.psn_no)
        return Explained(_me(uow, who), s, explanation.explain(uow, s),
                         _place(uow, s.mdtrt_id))

    return app.read(run, principal=who)


@door
def more(app: Gongji, who: Principal) -> More:
    def run(uow: UnitOfWork) -> More:
        p = _person_of(uow, who)
        names = _names(uow)
        bound = [b for b in family.views_of(uow, who.id) if b.status == "active"]
        payees = [who.id]
        for other in [b.beneficiary_psn_no if b.sponsor_psn_no == who.id else
                      b.sponsor_psn_no for b in bound] + \
                [x.subject_psn_no for x in _held(uow, who)]:
            if other not in payees:
                payees.append(other)
        home = people.basic_enrollment(uow.conn, who.id)
        across = frozenset(x for x in payees if home is not None and (
            e := people.basic_enrollment(uow.conn, x)) is not None
            and cross_province(home.insuplc_admdvs, e.insuplc_admdvs))
        return More(_me(uow, who, p), filing.views_of(uow, who.id),
                    filing.switch_on(uow, who.id, "pharmacy_cross_province"),
                    proxies.views_of(uow, who.id), [(x, names(x)) for x in payees], across,
                    uow.policy(home.insuplc_admdvs if home else NATIONAL
                               ).contributions.resident_waiting,
                    list(wallet.view(uow, who.id).quotas), _regions(uow),
                    demo.key_of(p.certno) if app.sandbox else None, uow.today)

    return app.read(run, principal=who)


@door
def claims_page(app: Gongji, who: Principal) -> ClaimsPage:
    """Hand claims (手工报销): the person's own and their proxied relatives', and whom they
    may claim for."""
    def run(uow: UnitOfWork) -> ClaimsPage:
        p = _person_of(uow, who)
        names = _names(uow)
        subjects = [who.id] + [x.subject_psn_no for x in _held(uow, who)]
        found = [claims.view_of(uow, c) for s in subjects
                 for c in claims_store.of_person(uow.conn, s)]
        found.sort(key=lambda c: c.submitted_at, reverse=True)
        return ClaimsPage(_me(uow, who, p), found, [(s, names(s)) for s in subjects], uow.today)

    return app.read(run, principal=who)


@door
def claim(app: Gongji, who: Principal, claim_id: str) -> ClaimPage:
    """One hand claim of the person's (or a proxied relative's); another's is not found."""
    def run(uow: UnitOfWork) -> ClaimPage:
        p = _person_of(uow, who)
        return ClaimPage(_me(uow, who, p), claims.seen_in(uow, who, claim_id))

    return app.read(run, principal=who)


# -- the parts -------------------------------------------------------------------------------

def _person(who: Principal) -> None:
    """The portal is for persons."""
    if who.kind != "person":
        raise GongjiError("FORBIDDEN")


def _person_of(uow: UnitOfWork, who: Principal) -> people.Person:
    _person(who)
    return people.person(uow.conn, who.id)


def _me(uow: UnitOfWork, who: Principal, p: people.Person | None = None) -> Me:
    """The person (masked) and how many actions wait for them, by tab."""
    masked = (p or people.person(uow.conn, who.id)).masked
    return Me(**{f.name: getattr(masked, f.name) for f in fields(masked)},
              waiting=Waiting(family=len(_to_consent(uow, who.id)),
                              transfer=len(_waiting(uow, who.id)),
                              more=len(_proxy_requests(uow, who.id))))


def me_in(uow: UnitOfWork, who: Principal) -> Me:
    """The header of a page made by another service (the shop's): the person, masked, and
    what waits for them."""
    _person(who)
    return _me(uow, who)


def _to_consent(uow: UnitOfWork, psn_no: str) -> list[BindingView]:
    """Bindings another asked for, waiting for this person's consent."""
    return [b for b in family.views_of(uow, psn_no)
            if b.status == "pending" and b.requested_by != psn_no]


def _proxy_requests(uow: UnitOfWork, psn_no: str) -> list[ProxyView]:
    """Proxy requests naming this person, waiting for their approval (a minor's wait for an
    operator instead)."""
    return [x for x in proxies.views_of(uow, psn_no)
            if x.status == "pending" and x.subject_psn_no == psn_no and x.needs == "consent"]


def _held(uow: UnitOfWork, who: Principal) -> list[ProxyView]:
    """The relatives this person may act for (an active 亲情账户)."""
    return [p for p in proxies.views_of(uow, who.id)
            if p.holder_psn_no == who.id and p.status == "active"]


def _waiting(uow: UnitOfWork, psn_no: str) -> list[TransferView]:
    return [t for t in transfers.views_of(uow, psn_no)
            if t.status == "pending" and t.receiver_psn_no == psn_no]


def _place(uow: UnitOfWork, mdtrt_id: str) -> str:
    """The name of the institution a visit was at."""
    return institutions.get_in(uow, svc.visit_in(uow, mdtrt_id).fixmedins_code).fixmedins_name


def _regions(uow: UnitOfWork) -> list[Region]:
    return sorted(uow.regions.all(uow.conn).values(), key=lambda r: r.admdvs)


def _names(uow: UnitOfWork) -> Callable[[str], str]:
    seen: dict[str, str] = {}

    def name(psn_no: str) -> str:
        if psn_no not in seen:
            seen[psn_no] = people.person(uow.conn, psn_no).masked.name_masked
        return seen[psn_no]

    return name


@door
def trace(app: Gongji, who: Principal, raw: str) -> TraceCheck:
    """The public check of a drug trace code, from the portal (a logged-in person also learns
    whether it was sold to them)."""
    result = tracing.query(app, who, raw)
    return TraceCheck(me(app, who) if who.kind == "person" else None, result)


@door
def where(app: Gongji, who: Principal, area: str = "", q: str = "", page: int = 1
          ) -> WherePage:
    """Where the wallet is accepted (public: anyone): the institutions that take it, by area
    and name, a page at a time; with the person's header when someone is logged in."""
    lookup = Lookup(wallet=True, area=area, q=q, page=page)

    def run(uow: UnitOfWork) -> WherePage:
        found = institutions.lookup_in(uow, lookup)
        shown = people.person(uow.conn, who.id).masked if who.kind == "person" else None
        return WherePage(shown, _regions(uow), found)

    return app.read(run, principal=who)
