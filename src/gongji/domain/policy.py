"""Policy as data: every wallet, mutual-aid, contribution and access parameter of a region.

A region's policy on a date is the national default overlaid by the province's document and
then the pooling region's, each the version in force on that date (see resolve()). Documents
are partial: they name only what they change. The merged result is validated here, so a
bad document is refused with the path of each error ("wallet.max_transfer: ...").

pydantic is used here only as a validation library over plain values (no I/O); defaults are
the national values from ../shared/design/DOMAIN.md, each with its source in docs/RULES.md.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from gongji.domain.benefits import Benefits
from gongji.domain.documents import DocumentKind
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan, parse_yuan
from gongji.domain.regions import NATIONAL, layers
from gongji.domain.relations import Relation


def _fen(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_yuan(value, allow_zero=True)
        except GongjiError as e:
            raise ValueError(e.message_en) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError('an amount is a string of yuan such as "2000.00"')
    raise ValueError('an amount is a string of yuan such as "2000.00", not a bare number')


Fen = Annotated[int, BeforeValidator(_fen)]
"""In documents "2000.00" (yuan); inside, fen."""


def _wall_time(value: Any) -> Any:
    # YAML reads an unquoted 22:00 as the base-60 integer 1320: refuse it rather than guess
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("a wall time has no zone: business time is Asia/Shanghai")
        return value
    if not isinstance(value, str) or not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        raise ValueError('a wall time is a quoted "HH:MM" (Asia/Shanghai), e.g. "22:00"')
    return time.fromisoformat(value)


WallTime = Annotated[time, BeforeValidator(_wall_time)]
"""In documents a quoted "22:00"; inside, a naive time read in Asia/Shanghai."""
Count = Annotated[int, Field(strict=True)]
"""A whole number written as one (true/false or "3" are refused)."""


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HoursWindow(_Rules):
    start: WallTime
    end: WallTime


class WalletRules(_Rules):
    enabled: bool = True
    """医保钱包 live in this region: [N] every province but Guangdong by Sep 2025."""
    cross_province_mutual_aid: bool = True
    """This region takes part in cross-province mutual aid through the wallet."""
    place_of_use_change: bool = False
    """使用地变更 possible here: [N] 15 provinces enabled it first."""
    max_transfer: Fen = 2000_00
    """[N] at most 2,000 yuan per transfer."""
    daily_transfer_count: Count = Field(3, ge=1)
    """[N] at most 3 transfers per sending wallet per Shanghai calendar day, returned ones
    counted (our decision)."""
    closed_hours: HoursWindow = HoursWindow(start=time(22, 0), end=time(6, 0))
    """[N] no transfers from 22:00 to 06:00."""
    accept_deadline: WallTime = time(6, 0)
    """[N] not accepted by 06:00 the next day: returned to the sender."""
    one_pending_per_receiver: bool = True
    """[U] while one transfer to a receiver waits, no other from the same sender (decision)."""
    annual_transfer_cap: Fen | None = None
    """No national annual cap was found; a region may set one."""


class MutualAidRules(_Rules):
    relations: frozenset[Relation] = frozenset(Relation)
    """[N] close relatives under the Civil Code (widened from spouse/parents/children in
    July 2024)."""
    sponsor_insutypes: frozenset[str] = frozenset({"310"})
    """[N] the sponsor is in employee insurance with a personal account."""
    beneficiary_insutypes: frozenset[str] = frozenset({"310", "390"})
    """[N] the beneficiary is enrolled in basic insurance, employee or resident."""
    require_verified_relation: bool = False
    """[U] an operator must verify the relation before money moves (regional decision)."""
    min_binding_days: Count = Field(0, ge=0)
    """[U] some regions forbid unbinding within N days of binding."""
    min_sponsor_balance: Fen = 0
    """[U] the sponsor's personal account must keep at least this much after a transfer."""


class PinRules(_Rules):
    length: Count = Field(6, ge=4, le=12)
    max_attempts: Count = Field(5, ge=1)
    """Wrong PINs in a row before the PIN locks."""
    lockout_minutes: Count = Field(30, ge=1)


class CredentialRules(_Rules):
    code_ttl_seconds: Count = Field(60, ge=10, le=600)
    """[N] the insurance code refreshes about every minute, so a screenshot fails."""
    minor_age: Count = Field(16, ge=1)
    """Under this age a proxy (亲情账户) needs an operator's approval of documents instead of
    the relative's own consent ([N] 医保电子凭证 亲情账户: 16 and over confirm themselves)."""
    proxy_members: Count = Field(5, ge=1)
    """At most this many relatives, pending or active, in one person's 亲情账户 ([N] 5)."""
    minor_documents: frozenset[DocumentKind] = frozenset({"household_register",
                                                          "birth_certificate"})
    """A proxy for a relative under minor_age names documents that show who the relative is
    and that they are the holder's, each with its number, for the operator ([N] 医保电子凭证
    亲情账户: under 16 the relation is shown by 户口簿 or 出生医学证明)."""
    minor_documents_needed: Literal["any", "all"] = "any"
    """Any one of minor_documents will do ([N] "或"), or a region asks for all of them."""
    proxy_open_documents: Literal["never", "minor", "always"] = "minor"
    """代开通 (a proxy opens a relative's wallet) needs the relative's documents on the proxy:
    for a relative under minor_age (national default, [U] our reading: an adult consented),
    for every relative, or never."""


class LoginRules(_Rules):
    otp_length: Count = Field(6, ge=4, le=10)
    otp_ttl_seconds: Count = Field(300, ge=30)
    otp_max_attempts: Count = Field(5, ge=1)
    otp_resend_seconds: Count = Field(60, ge=0)
    session_hours: Count = Field(12, ge=1)


class ContributionYear(_Rules):
    year: Count = Field(ge=2000, le=2100)
    """The coverage year paid for."""
    amount: Fen
    window_start: date
    window_end: date
    """Inclusive: the last day payments are taken (Shanghai calendar)."""

    @model_validator(mode="after")
    def _ordered(self) -> ContributionYear:
        if self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        return self


class WaitingRules(_Rules):
    """居民医保 treatment waiting period (待遇等待期) for a resident who pays outside the
    collection window or after a lapse: [N] 国务院办公厅《关于健全基本医疗保险参保长效机制的
    指导意见》(国办发〔2024〕38号, 2024-07-26): from 2025, a fixed 3 months for one who did not
    enroll in the collection period or did not enroll continuously, plus 1 month for each
    lapsed year. The document sets no upper limit; its 6 months is a floor (a lapse of 4 years
    or more, after repair by back payment, still waits at least 6 months), and repair is not
    modelled here, so a region may set a maximum."""

    from_year: Count = Field(2025, ge=2000, le=2100)
    """The first coverage year with a waiting period (自2025年起)."""
    fixed_months: Count = Field(3, ge=0, le=24)
    """[N] 固定待遇等待期 3 months."""
    months_per_lapsed_year: Count = Field(1, ge=0, le=12)
    """[N] 变动待遇等待期: 1 month more for each year without resident contributions."""
    max_months: Count | None = Field(None, ge=0, le=60)
    """None nationally (the document names no maximum); a region may cap the total."""


class ContributionRules(_Rules):
    resident: tuple[ContributionYear, ...] = ()
    """[N] 城乡居民 individual contribution per coverage year and its collection window."""
    resident_waiting: WaitingRules = WaitingRules()
    """[N] paid outside the window (or after a lapse): accepted, with a waiting period."""
    long_term_care: tuple[ContributionYear, ...] = ()
    """长期护理保险 individual contribution where a region collects one."""

    def find(self, insutype: str, year: int) -> ContributionYear | None:
        table = self.resident if insutype == "390" else self.long_term_care
        return next((c for c in table if c.year == year), None)


class FilingRules(_Rules):
    temporary_min_months: Count = Field(6, ge=1)
    """[N] temporary out-of-area filings are valid at least six months."""


class SettlementRules(_Rules):
    trace_codes_required_from: date | None = date(2025, 7, 1)
    """[N] from 2025-07-01 a drug sale must scan its trace code before insurance settlement."""
    over_cap: Literal["self_pay", "refuse"] = "self_pay"
    """A price above the item's cap: the excess is self-paid (超限价, [N] DOMAIN.md §5), or a
    region refuses such lines at upload (they must be charged at or below the cap)."""
    pharmacy_switch_required: bool = False
    """[R] Fujian (Nov 2025): card purchases at pharmacies in other provinces fail until the
    person turns on the cross-province switch (刷卡购药设置·跨省)."""


class ClaimRules(_Rules):
    """手工报销: care paid in full and claimed at home."""

    within_days: Count = Field(365, ge=1)
    """[U] A claim is submitted within this many days of the end of care (regions set 1 year,
    some until the end of the following year)."""
    unfiled: Literal["reduce", "refuse"] = "reduce"
    """Out-of-area care without a filing, claimed by hand: reimbursed at the unfiled reduction
    (benefits.out_of_area.unfiled_minus) [N 22号文: pay in full and claim at home], or a
    region refuses it."""


class PrescriptionRules(_Rules):
    """电子处方: how long a prescription is valid, in days counted from the day it is issued
    (day 1). [N] 《处方管理办法》第十八条: 处方开具当日有效; a doctor may extend it, at most
    3 days. A region may shorten the maximum; no document may lengthen it past the law."""

    default_valid_days: Count = Field(1, ge=1, le=3)
    """Valid the day it is issued unless the doctor writes longer."""
    max_valid_days: Count = Field(3, ge=1, le=3)
    """The longest a doctor may write."""

    @model_validator(mode="after")
    def _default_within_max(self) -> PrescriptionRules:
        if self.default_valid_days > self.max_valid_days:
            raise ValueError("default_valid_days is more than max_valid_days")
        return self


class Policy(_Rules):
    benefits: Benefits = Benefits()
    filing: FilingRules = FilingRules()
    claims: ClaimRules = ClaimRules()
    settlement: SettlementRules = SettlementRules()
    wallet: WalletRules = WalletRules()
    mutual_aid: MutualAidRules = MutualAidRules()
    pin: PinRules = PinRules()
    credentials: CredentialRules = CredentialRules()
    login: LoginRules = LoginRules()
    contributions: ContributionRules = ContributionRules()
    prescriptions: PrescriptionRules = PrescriptionRules()


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """One version of one region's policy, partial: only what it sets."""

    region: str
    effective_from: date
    effective_to: date | None
    """Exclusive; None = until a later version or forever."""
    body: Mapping[str, Any]
    name: str = ""
    source: str = ""
    """Where it came from (a file path, an upload), for error messages."""

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                               or day < self.effective_to)


HEADER_KEYS = {"region", "effective_from", "effective_to", "name"}


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def validate(body: Mapping[str, Any], *, source: str = "policy") -> Policy:
    """A merged body as a Policy, or POLICY_INVALID listing every error by path."""
    try:
        return Policy.model_validate(body)
    except ValidationError as e:
        problems = [f"{'.'.join(str(p) for p in err['loc']) or '(document)'}: "
                    f"{err['msg'].removeprefix('Value error, ')}"
                    for err in e.errors()]
        raise GongjiError("POLICY_INVALID", source=source, problems="; ".join(problems),
                          errors=problems) from None


def in_force(docs: Iterable[PolicyDocument], region: str, day: date) -> PolicyDocument | None:
    """The version of a region's document in force on a day (the latest that covers it)."""
    covering = [d for d in docs if d.region == region and d.covers(day)]
    return max(covering, key=lambda d: d.effective_from, default=None)


def resolve(docs: Iterable[PolicyDocument], admdvs: str, day: date) -> Policy:
    """The policy of a pooling region on a day: national, then province, then the region."""
    docs = list(docs)
    body: dict[str, Any] = {}
    used = []
    for layer in layers(admdvs) if admdvs != NATIONAL else [NATIONAL]:
        doc = in_force(docs, layer, day)
        if doc is not None:
            body = merge(body, doc.body)
            used.append(doc.source or layer)
    return validate(body, source=" + ".join(used) or "defaults")


def overlaps(docs: Iterable[PolicyDocument]) -> list[tuple[PolicyDocument, PolicyDocument]]:
    """Pairs of versions of one region whose date ranges overlap (a document set error)."""
    by_region: dict[str, list[PolicyDocument]] = {}
    for d in docs:
        by_region.setdefault(d.region, []).append(d)
    out = []
    for versions in by_region.values():
        versions.sort(key=lambda d: d.effective_from)
        for a, b in itertools.pairwise(versions):
            # a later version takes over from an open-ended one while it is in force (and
            # the open-ended one resumes after a later version's explicit end); an explicit
            # end must not reach past the next version's start
            if a.effective_from == b.effective_from or (
                    a.effective_to is not None and a.effective_to > b.effective_from):
                out.append((a, b))
    return out


# -- a resolved policy written back as a document, and the difference of two ---------------

def _amount_parsers() -> tuple[Any, ...]:
    from gongji.domain import benefits

    return (_fen, benefits._fen)


def _is_amount(metadata: Iterable[Any]) -> bool:
    parsers = _amount_parsers()
    return any(getattr(m, "func", None) in parsers for m in metadata)


def as_document(policy: BaseModel) -> dict[str, Any]:
    """A (resolved) policy as a document body: amounts as yuan strings, wall times "HH:MM",
    ratios as decimal strings, sets as sorted lists. Validating it gives the policy back."""
    out: dict[str, Any] = {}
    for name, info in type(policy).model_fields.items():
        value = getattr(policy, name)
        if value is not None and _is_amount(info.metadata):
            out[name] = format_yuan(value)
        else:
            out[name] = _as_document(value, info.annotation)
    return out


def _as_document(value: Any, tp: Any) -> Any:
    origin, args = get_origin(tp), get_args(tp)
    if value is None:
        return None
    if origin is Annotated:
        if _is_amount(tp.__metadata__):
            return format_yuan(value)
        return _as_document(value, args[0])
    if origin in (Union, UnionType):
        inner = [a for a in args if a is not type(None)]
        return _as_document(value, inner[0] if len(inner) == 1 else Any)
    if isinstance(value, BaseModel):
        return as_document(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        item = args[1] if origin is dict and len(args) == 2 else Any
        return {k: _as_document(v, item) for k, v in value.items()}
    if isinstance(value, tuple | list):
        item = args[0] if args else Any
        return [_as_document(v, item) for v in value]
    if isinstance(value, frozenset | set):
        item = args[0] if args else Any
        return sorted((_as_document(v, item) for v in value), key=str)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return str(value)
    return value


def flatten(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"wallet": {"max_transfer": "2000.00"}} -> {"wallet.max_transfer": "2000.00"}; lists of
    mappings are indexed (benefits.rules[0].pay.ratio), lists of plain values kept whole."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        out.update(_flat(value, path))
    return out


def _flat(value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, Mapping) and value:
        return flatten(value, path)
    if isinstance(value, list) and any(isinstance(v, Mapping) for v in value):
        out: dict[str, Any] = {}
        for i, v in enumerate(value):
            out.update(_flat(v, f"{path}[{i}]"))
        return out
    return {path: value}


@dataclass(frozen=True, slots=True)
class Change:
    """One parameter that differs between two policies (None: absent on that side)."""

    path: str
    before: str | None
    after: str | None


def show(value: Any) -> str:
    """A parameter's value as it would be written in a document."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def diff(a: Policy, b: Policy) -> list[Change]:
    """Every parameter whose value differs between two policies, in document order."""
    left, right = flatten(as_document(a)), flatten(as_document(b))
    paths = list(left) + [p for p in right if p not in left]
    return [Change(p, show(left[p]) if p in left else None,
                   show(right[p]) if p in right else None)
            for p in paths if p not in left or p not in right or left[p] != right[p]]


def check_documents(docs: Iterable[PolicyDocument], existing: list[PolicyDocument]) -> None:
    """New documents laid over the existing ones: each, merged over what it overlays on its
    first day, must validate; no two versions of one region may be in force on the same day.
    POLICY_INVALID names every problem by path."""
    docs = list(docs)
    everything = existing + docs
    for doc in docs:
        base: dict[str, Any] = {}
        for layer in layers(doc.region) if doc.region != NATIONAL else []:
            if layer == doc.region:
                break
            under = in_force(everything, layer, doc.effective_from)
            if under is not None:
                base = merge(base, under.body)
        validate(merge(base, doc.body), source=doc.source or doc.region)
    clashes = overlaps(everything)
    if clashes:
        problems = [f"{a.source or a.region} ({a.effective_from}..{a.effective_to}) "
                    f"overlaps {b.source or b.region} (from {b.effective_from})"
                    for a, b in clashes]
        raise GongjiError("POLICY_INVALID", source=docs[0].source if docs else "policy",
                          problems="; ".join(problems), errors=problems)
