"""What each page of the family portal shows: one record per page, its numbers read from one
snapshot. Everything on them is the caller's own or a proxied relative's, masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from gongji.domain.credentials import CodeToken
from gongji.domain.errors import GongjiError
from gongji.domain.policy import WaitingRules
from gongji.domain.regions import Region
from gongji.domain.relations import Relation
from gongji.services.claims.model import ClaimView
from gongji.services.contributions.model import ContributionView
from gongji.services.explanation.model import Explanation
from gongji.services.family.model import BindingView
from gongji.services.filing.model import FilingView
from gongji.services.institutions.model import InstitutionPage
from gongji.services.people.model import PersonView
from gongji.services.proxies.model import ProxyView
from gongji.services.settlement.model import SettlementView
from gongji.services.statement.model import GivenQuota, Statement
from gongji.services.tracing.model import QueryResult
from gongji.services.transfers.model import Limits, TransferView
from gongji.services.wallet.model import QuotaView, WalletView


@dataclass(frozen=True, slots=True)
class Waiting:
    """How many actions wait for the person, by the tab that holds them (the tabs' badges)."""

    family: int = 0
    """Bindings another asked for, for the person to consent to or decline."""
    transfer: int = 0
    """Transfers sent to the person, to accept or refuse."""
    more: int = 0
    """Proxy (亲情账户) requests naming the person, to approve or decline."""

    @property
    def total(self) -> int:
        return self.family + self.transfer + self.more


@dataclass(frozen=True, slots=True)
class Me(PersonView):
    """The person logged in (masked), with what waits for them: every page's header."""

    waiting: Waiting = Waiting()


class Relative(NamedTuple):
    """A relative the person holds a proxy for: their wallet, and what waits for them."""

    proxy: ProxyView
    wallet: WalletView
    waiting: list[TransferView]


@dataclass(frozen=True, slots=True)
class Home:
    me: Me
    wallet: WalletView
    waiting: list[TransferView]
    """Transfers sent to the person, waiting to be accepted."""
    relatives: list[Relative]
    given: list[GivenQuota]
    """Quota the person gave relatives, not yet spent nor returned (still theirs)."""
    to_consent: list[BindingView]
    """Bindings another asked for: the person consents or declines."""
    proxy_requests: list[ProxyView]
    """Proxy requests naming the person, waiting for their approval."""


@dataclass(frozen=True, slots=True)
class StatementPage:
    me: Me
    statement: Statement


@dataclass(frozen=True, slots=True)
class CodePage:
    me: Me
    code: CodeToken
    seconds: int
    """How long the code is good for."""
    name_masked: str | None
    """The relative's, when a proxy shows a relative's code."""


@dataclass(frozen=True, slots=True)
class Binding:
    view: BindingView
    i_sponsor: bool
    """The person shares their account in this binding (else they are shared with)."""
    to_answer: bool
    """The other side asked: the person consents or declines."""


@dataclass(frozen=True, slots=True)
class FamilyPage:
    me: Me
    relations: list[Relation]
    """The relations the person's region lets them bind."""
    require_verified_relation: bool
    bindings: list[Binding]
    demo_key: str | None
    """In the sandbox: which demo person this is."""


@dataclass(frozen=True, slots=True)
class WalletPage:
    me: Me
    wallet: WalletView
    relatives: list[tuple[ProxyView, WalletView]]
    has_pin: bool
    regions: list[Region]


@dataclass(frozen=True, slots=True)
class Target:
    """A relative the person may send to, or why not whatever the amount (their region not
    live yet, no wallet), said before an amount or a PIN is typed."""

    binding: BindingView
    blocked: GongjiError | None


@dataclass(frozen=True, slots=True)
class TransferPage:
    me: Me
    limits: Limits | None
    """None: not an employee with an account (the page says who can send)."""
    blocked: GongjiError | None
    """Why the person cannot send at all now (their wallet not open, their region not live)."""
    targets: list[Target]
    """The active bindings the person shares their account in."""
    items: list[TransferView]
    balance: int | None


@dataclass(frozen=True, slots=True)
class Paid:
    view: ContributionView
    name_masked: str
    """The covered person's."""


@dataclass(frozen=True, slots=True)
class History:
    me: Me
    settlements: list[SettlementView]
    contributions: list[Paid]
    transfers: list[TransferView]
    places: dict[str, str]
    """Where each settlement was made (the institution's name), by setl_id."""


@dataclass(frozen=True, slots=True)
class Explained:
    me: Me
    settlement: SettlementView
    explanation: Explanation
    place: str
    """The institution's name."""


@dataclass(frozen=True, slots=True)
class More:
    me: Me
    filings: list[FilingView]
    switch: bool
    """刷卡购药设置·跨省: buying drugs in another province is on."""
    proxies: list[ProxyView]
    payees: list[tuple[str, str]]
    """Whose contribution the person may pay: (psn_no, masked name), themselves first."""
    across: frozenset[str]
    """Payees insured in another province: their contribution goes through the wallet."""
    waiting: WaitingRules
    """The waiting period after a late resident contribution, as the person's region sets it."""
    quotas: list[QuotaView]
    regions: list[Region]
    demo_key: str | None
    today: date


@dataclass(frozen=True, slots=True)
class TraceCheck:
    me: Me | None
    result: QueryResult


@dataclass(frozen=True, slots=True)
class WherePage:
    """Where the wallet is accepted: a page of the institutions that take it, and the areas
    to choose from."""

    me: PersonView | None
    """The person logged in (masked), if anyone is."""
    areas: list[Region]
    """Provinces and pooling regions, by code."""
    found: InstitutionPage


@dataclass(frozen=True, slots=True)
class ClaimsPage:
    me: Me
    claims: list[ClaimView]
    """The person's hand claims and those of the relatives they hold a proxy for, newest
    first."""
    subjects: list[tuple[str, str]]
    """Whom the person may claim for: (psn_no, masked name), themselves first."""
    today: date


@dataclass(frozen=True, slots=True)
class ClaimPage:
    me: Me
    claim: ClaimView
