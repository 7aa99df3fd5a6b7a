"""What each page of the operator console shows, read in one unit of work per page.

Operators only. The reports, the policy, catalog, institution, queue and clock pages each make
one call here; their forms post to the capabilities' own doors."""

from __future__ import annotations

from datetime import date

from gongji.domain.access import Principal
from gongji.domain.clock import next_at
from gongji.domain.errors import GongjiError
from gongji.domain.regions import NATIONAL, Region
from gongji.services.access import require_operator
from gongji.services.claims import service as claims
from gongji.services.console.model import (
    CatalogPage,
    Clock,
    Dashboard,
    Diff,
    InstitutionsPage,
    Policies,
    Queue,
    Stored,
)
from gongji.services.door import door
from gongji.services.family import service as family
from gongji.services.institutions import service as institutions
from gongji.services.policy import service as policy
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji, Key
from gongji.services.unit_of_work import UnitOfWork


def _regions(uow: UnitOfWork) -> list[Region]:
    return sorted(uow.regions.all(uow.conn).values(), key=lambda r: r.admdvs)


@door
def dashboard(app: Gongji, who: Principal) -> Dashboard:
    require_operator(who)

    def run(uow: UnitOfWork) -> Dashboard:
        return Dashboard(len(family.awaiting_in(uow)) + len(proxies.pending_in(uow)),
                         len(institutions.all_in(uow)), *claims.waiting_in(uow))

    return app.read(run, principal=who)


@door
def policies(app: Gongji, who: Principal, region: str = NATIONAL, day: date | None = None,
             *, check: str | None = None) -> Policies:
    """A region's merged policy on a day, its versions and every region; with `check`, also
    the documents of that YAML checked (POLICY_INVALID names each problem by path)."""
    require_operator(who)

    def run(uow: UnitOfWork) -> Policies:
        checked = policy.check_in(uow, check) if check is not None else None
        error: GongjiError | None = None
        try:
            shown = policy.effective_in(uow, region, day, field="region")
        except GongjiError as e:  # an unknown region: the national default, and why
            error, shown = e, policy.effective_in(uow, NATIONAL, day)
        return Policies(shown, policy.versions_in(uow, shown.admdvs), _regions(uow), error,
                        checked)

    return app.read(run, principal=who)


@door
def upload_policy(app: Gongji, who: Principal, key: Key, text: str) -> Stored:
    """Store new policy versions (policy.upload_text) and say where the page goes next."""
    ids = policy.upload_text(app, who, key, text).value
    return Stored(len(ids), policy.parse_documents(text, source="upload")[0].region)


@door
def policy_diff(app: Gongji, who: Principal, a: tuple[str, date | None],
                b: tuple[str, date | None]) -> Diff:
    require_operator(who)
    return app.read(lambda uow: Diff(policy.compare_in(uow, a, b), _regions(uow)),
                    principal=who)


@door
def catalog_page(app: Gongji, who: Principal) -> CatalogPage:
    require_operator(who)
    return app.read(lambda uow: CatalogPage(_regions(uow), uow.today), principal=who)


@door
def institutions_page(app: Gongji, who: Principal) -> InstitutionsPage:
    require_operator(who)
    return app.read(lambda uow: InstitutionsPage(institutions.all_in(uow), _regions(uow)),
                    principal=who)


@door
def queue(app: Gongji, who: Principal) -> Queue:
    """Relations waiting for verification (those whose region requires it first), and
    proxies for minors waiting for approval."""
    require_operator(who)
    return app.read(lambda uow: Queue(family.awaiting_in(uow), proxies.pending_in(uow)),
                    principal=who)


@door
def clock(app: Gongji, who: Principal) -> Clock:
    """The sandbox clock, and its next jumps: the national wallet's accept deadline (waiting
    transfers return) and the start of its closed hours."""
    require_operator(who)

    def run(uow: UnitOfWork) -> Clock:
        rules = uow.policy(NATIONAL).wallet
        return Clock(app.sandbox, uow.now,
                     [(at.isoformat("minutes"), next_at(uow.now, at))
                      for at in (rules.accept_deadline, rules.closed_hours.start)])

    return app.read(run, principal=who)
