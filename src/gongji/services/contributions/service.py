"""Paying a relative's resident (390) or long-term-care (410) contribution for a coverage year.

From the payer's own personal account (the sponsor pays for a bound relative in the same
province), or from the covered person's wallet quota from one sponsor (they spend money shared
with them, from an open wallet in a live region). Across provinces a personal account is shared
only through the wallet: the sponsor sends to the relative's wallet, the relative pays from it.
Once per person, scheme and year, from the opening of the region's collection window. A resident
contribution after the window closes is still taken for its coverage year, with a waiting
period (待遇等待期, domain.waiting) that the contribution records as the day its benefits
start; settlement refuses care before it. Long-term care is taken only inside the window.
The covered years also decide the 大病保险 cap incentives (cap_raise, domain.incentives).
"""

from __future__ import annotations

from datetime import date

from gongji.domain import incentives, waiting
from gongji.domain.access import Act, Principal
from gongji.domain.benefits import Supplementary
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_id
from gongji.domain.policy import ContributionYear
from gongji.domain.regions import cross_province
from gongji.domain.transfers import check_owner
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services.access import authorize
from gongji.services.codec import to_json
from gongji.services.contributions import store
from gongji.services.contributions.model import FUND, ContributionView, Offer, PayContribution
from gongji.services.door import door
from gongji.services.family import store as bindings
from gongji.services.people import service as people
from gongji.services.pins import service as pins
from gongji.services.regions import service as regions
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.settlement import store as settlements
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import UnitOfWork


@door
def pay(app: Gongji, who: Principal, key: Key, cmd: PayContribution,
        pin: str) -> Written[ContributionView]:
    """Pay a contribution (once a year) inside the collection window, or a resident one after
    it with a waiting period, confirmed by the payer's PIN."""
    if who.kind != "person":
        raise GongjiError("FORBIDDEN")
    request = to_json(cmd, PayContribution)
    prior = app.stored(who, key=key, operation="contribution.pay", request=request,
                       result_type=ContributionView)
    if prior is not None:
        return prior
    # what would refuse it whatever the PIN is said first, and no attempt is spent on it
    app.read(lambda uow: (_open_offer(uow, cmd.psn_no, cmd),
                          _source(uow, who.id, cmd.psn_no, cmd)), principal=who)
    pins.verify(app, who.id, pin)

    def run(uow: UnitOfWork) -> ContributionView:
        payer, covered = who.id, cmd.psn_no
        region, offer, wait = _open_offer(uow, covered, cmd)
        source_account = _source(uow, payer, covered, cmd)
        fund = uow.ledger.open_account(FUND[cmd.insutype], owner=region, admdvs=region)
        entry = uow.ledger.transfer(source_account, fund.id, offer.amount,
                                    code=f"contribution.{cmd.insutype}",
                                    memo=f"{cmd.year} contribution", ext_ref=covered,
                                    admdvs=region)
        cid = new_id()
        store.add(uow.conn, ContributionView(
            id=cid, psn_no=covered, insutype=cmd.insutype, year=cmd.year, admdvs=region,
            amount=offer.amount, payer_psn_no=payer, source=cmd.source,
            sponsor_psn_no=cmd.sponsor_psn_no if cmd.source == "quota" else None,
            entry_id=entry.id, paid_at=uow.now,
            benefits_from=wait.benefits_from if wait else None))
        detail: dict[str, object] = {"covered": covered, "year": cmd.year,
                                     "insutype": cmd.insutype}
        if wait is not None:
            detail |= {"benefits_from": wait.benefits_from.isoformat(),
                       "waiting_months": wait.months, "lapsed_years": wait.lapsed_years}
        uow.record("contribution.pay", subject=cid, chain=region, detail=detail)
        return store.contribution(uow.conn, cid)

    return app.write(who, key=key, operation="contribution.pay", request=request, fn=run,
                     result_type=ContributionView)


def _open_offer(uow: UnitOfWork, covered: str, cmd: PayContribution
                ) -> tuple[str, ContributionYear, waiting.Waiting | None]:
    """The covered person's region, its offer for the year and (resident) the waiting period,
    refused unless enrolled as the offer needs, the window has opened, it is still open or a
    late resident payment still buys benefits in the year, and the year is not yet paid."""
    people.person(uow.conn, covered)
    region = people.insured_region(uow.conn, covered, Bi("被缴费人", "The covered person"))
    if cmd.insutype == "390":
        e = people.basic_enrollment(uow.conn, covered)
        if e is None or e.insutype != "390":
            raise GongjiError("NOT_ENROLLED", who=Bi("被缴费人（城乡居民医保）",
                                                     "The covered person (resident)"))
    rules = uow.policy(region).contributions
    offer = rules.find(cmd.insutype, cmd.year)
    if offer is None:
        raise GongjiError("CONTRIBUTION_NOT_OFFERED", admdvs=region, year=cmd.year,
                          insutype=cmd.insutype)
    late = uow.today > offer.window_end
    if uow.today < offer.window_start or (late and (
            cmd.insutype != "390" or cmd.year < rules.resident_waiting.from_year)):
        raise GongjiError("CONTRIBUTION_WINDOW_CLOSED", year=cmd.year,
                          start=offer.window_start.isoformat(),
                          end=offer.window_end.isoformat())
    if store.paid(uow.conn, covered, cmd.insutype, cmd.year):
        raise GongjiError("CONTRIBUTION_ALREADY_PAID", year=cmd.year)
    if cmd.insutype != "390":
        return region, offer, None
    wait = waiting.waiting(rules.resident_waiting, offer, uow.today,
                           covered_years(uow, covered))
    if wait.late and wait.benefits_from > date(cmd.year, 12, 31):
        raise GongjiError("CONTRIBUTION_TOO_LATE", year=cmd.year, months=wait.months,
                          benefits_from=wait.benefits_from.isoformat())
    return region, offer, wait


def check_benefits(uow: UnitOfWork, psn_no: str, insutype: str, day: date) -> None:
    """Refuse care on a day before the benefits of the person's resident contribution for that
    year start (待遇等待期): TREATMENT_WAITING names the day they start."""
    if insutype != "390":
        return
    start = store.benefits_from(uow.conn, psn_no, insutype, day.year)
    if start is not None and day < start:
        raise GongjiError("TREATMENT_WAITING", year=day.year,
                          benefits_from=start.isoformat())


def cap_raise(uow: UnitOfWork, psn_no: str, insutype: str, year: int,
              supp: Supplementary | None) -> incentives.CapRaise:
    """The raise of the person's supplementary (大病保险) cap in `year` (domain/incentives.py):
    from the years they were covered (as for the waiting period) and the years of the run with
    a contribution in the scheme in which its fund paid them nothing (零报销). None where the
    layer has no incentives or no cap."""
    rules = supp.incentives if supp is not None and supp.cap is not None else None
    if rules is None or year < rules.from_year:
        return incentives.NONE
    covered = covered_years(uow, psn_no)
    start = incentives.run_start(year, covered)
    paid_in = {y for y in store.years_paid(uow.conn, psn_no, insutype) if start <= y < year}
    claim_free = paid_in - settlements.years_fund_paid(uow.conn, psn_no, insutype, paid_in)
    return incentives.cap_raise(rules, year, covered, claim_free)


def benefits_from(uow: UnitOfWork, psn_no: str, insutype: str, year: int) -> date | None:
    """When the person's recorded contribution in the scheme for the year starts benefits."""
    return store.benefits_from(uow.conn, psn_no, insutype, year)


def covered_years(uow: UnitOfWork, psn_no: str) -> set[int]:
    """Years the person is known to have been covered: a resident contribution on record, or
    any day of an employee (310) enrollment."""
    years = store.years_paid(uow.conn, psn_no, "390")
    for e in people.enrollments_of(uow.conn, psn_no):
        if e.insutype == "310":
            years |= set(range(e.begndate.year, (e.enddate or uow.today).year + 1))
    return years


def _source(uow: UnitOfWork, payer: str, covered: str, cmd: PayContribution) -> str:
    if cmd.source == "personal":
        if payer == covered:
            raise GongjiError("CONTRIBUTION_SOURCE_INVALID", reason=Bi(
                "个人账户用于给近亲属缴费；本人缴费请用钱包中的共济额度",
                "a personal account pays for a close relative; pay your own from wallet quota"))
        if bindings.active(uow.conn, payer, covered) is None:
            raise GongjiError("TRANSFER_NOT_BOUND")
        home = people.insured_region(uow.conn, covered)
        if cross_province(people.insured_region(uow.conn, payer), home):
            # across provinces a personal account is shared only through the wallet (2026
            # notice on 个人账户跨省共济): its rules, limits and both regions' rollout apply
            # to the transfer; the relative then pays from that sponsor's quota
            raise GongjiError("CONTRIBUTION_VIA_WALLET", region=regions.name_of(uow, home))
        account = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=payer))
        if account is None:
            raise GongjiError("NO_PERSONAL_ACCOUNT")
        return account.id
    if payer != covered:
        raise GongjiError("CONTRIBUTION_SOURCE_INVALID", reason=Bi(
            "共济额度只能由钱包的主人本人使用", "wallet quota is spent only by the wallet's owner"))
    if not cmd.sponsor_psn_no:
        raise GongjiError("CONTRIBUTION_SOURCE_INVALID", reason=Bi(
            "请选择使用哪位共济人的额度", "name the sponsor whose quota pays"))
    check_owner(transfers.wallet_facts(uow, covered))
    quota = uow.ledger.account_by_code(account_code(AccountKind.WALLET_QUOTA, owner=covered,
                                                    sponsor=cmd.sponsor_psn_no))
    if quota is None:
        raise GongjiError("INSUFFICIENT_FUNDS", account=Bi("共济额度", "wallet quota"),
                          available="0.00", required="-")
    return quota.id


@door
def list_for(app: Gongji, who: Principal, psn_no: str) -> list[ContributionView]:
    """Contributions paid for or by a person, newest first."""
    def run(uow: UnitOfWork) -> list[ContributionView]:
        authorize(uow, who, Act.READ, psn_no)
        return views_of(uow, psn_no)

    return app.read(run, principal=who)


def views_of(uow: UnitOfWork, psn_no: str) -> list[ContributionView]:
    return [store.contribution(uow.conn, i) for i in store.ids_of(uow.conn, psn_no)]


@door
def offers(app: Gongji, who: Principal, admdvs: str) -> list[Offer]:
    """A region's contribution amounts and collection windows by year (public: any caller)."""
    def run(uow: UnitOfWork) -> list[Offer]:
        uow.region(admdvs)
        rules = uow.policy(admdvs).contributions
        return [Offer(t, c.year, c.amount, c.window_start, c.window_end)
                for t, table in (("390", rules.resident), ("410", rules.long_term_care))
                for c in table]

    return app.read(run, principal=who)
