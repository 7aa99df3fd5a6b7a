"""Account kinds: who may own an account of each kind and whether it may go negative.

Sign convention: an account's balance is the sum of its postings. A person's account holds
what the person may spend; the outside world (CASH) goes negative by what it put in. The sum
of all balances is therefore always zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gongji.domain.errors import GongjiError


class AccountKind(StrEnum):
    PERSONAL = "PERSONAL"
    """个人账户: an employee's personal account (owner = psn_no)."""
    WALLET_QUOTA = "WALLET_QUOTA"
    """共济额度: money in a beneficiary's wallet that still belongs to one sponsor
    (owner = beneficiary psn_no, sponsor = sponsor psn_no)."""
    HOLD = "HOLD"
    """Money on its way out of one account, waiting to be posted, voided or expired
    (parent = the source account). One per source, so holds never contend on a shared row."""
    FUND_POOL = "FUND_POOL"
    """统筹基金 of a pooling region (owner = admdvs)."""
    FUND_CRITICAL = "FUND_CRITICAL"
    """大病保险 / 大额补助 of a pooling region."""
    FUND_ASSISTANCE = "FUND_ASSISTANCE"
    """医疗救助 of a pooling region."""
    FUND_LTC = "FUND_LTC"
    """长期护理保险 of a pooling region."""
    INSTITUTION = "INSTITUTION"
    """A designated institution's receivable (owner = fixmedins_code)."""
    CLEARING = "CLEARING"
    """Inter-region clearing of a pooling region (owner = admdvs)."""
    CASH = "CASH"
    """The outside world: bank transfers in, cash paid at the counter (owner = admdvs)."""
    CLAIM_PAYABLE = "CLAIM_PAYABLE"
    """报销待付: hand claims approved and not yet paid to the person's bank account
    (owner = psn_no)."""


@dataclass(frozen=True, slots=True)
class KindRule:
    no_negative: bool
    needs_owner: bool
    needs_sponsor: bool = False
    needs_parent: bool = False


KIND_RULES: dict[AccountKind, KindRule] = {
    AccountKind.PERSONAL: KindRule(no_negative=True, needs_owner=True),
    AccountKind.WALLET_QUOTA: KindRule(no_negative=True, needs_owner=True, needs_sponsor=True),
    AccountKind.HOLD: KindRule(no_negative=True, needs_owner=False, needs_parent=True),
    AccountKind.FUND_POOL: KindRule(no_negative=False, needs_owner=True),
    AccountKind.FUND_CRITICAL: KindRule(no_negative=False, needs_owner=True),
    AccountKind.FUND_ASSISTANCE: KindRule(no_negative=False, needs_owner=True),
    AccountKind.FUND_LTC: KindRule(no_negative=False, needs_owner=True),
    AccountKind.INSTITUTION: KindRule(no_negative=False, needs_owner=True),
    AccountKind.CLEARING: KindRule(no_negative=False, needs_owner=True),
    AccountKind.CASH: KindRule(no_negative=False, needs_owner=True),
    AccountKind.CLAIM_PAYABLE: KindRule(no_negative=True, needs_owner=True),
}

REGION_FUND_KINDS = (AccountKind.FUND_POOL, AccountKind.FUND_CRITICAL,
                     AccountKind.FUND_ASSISTANCE, AccountKind.FUND_LTC, AccountKind.CLEARING,
                     AccountKind.CASH)
"""The system accounts every pooling region has."""


def parse_kind(kind: str) -> AccountKind:
    try:
        return AccountKind(kind)
    except ValueError:
        raise GongjiError("ACCOUNT_KIND_INVALID", kind=kind) from None


def account_code(kind: AccountKind, *, owner: str | None = None, sponsor: str | None = None,
                 parent_id: str | None = None) -> str:
    """The account's natural key, e.g. PERSONAL/P001, WALLET_QUOTA/P002/P001, FUND_POOL/510100."""
    rule = KIND_RULES[kind]
    if rule.needs_owner and not owner:
        raise GongjiError("ACCOUNT_OWNER_REQUIRED", kind=kind.value, missing="owner")
    if rule.needs_sponsor and not sponsor:
        raise GongjiError("ACCOUNT_OWNER_REQUIRED", kind=kind.value, missing="sponsor")
    if rule.needs_parent:
        if not parent_id:
            raise GongjiError("ACCOUNT_OWNER_REQUIRED", kind=kind.value, missing="parent")
        return f"{kind.value}/{parent_id}"
    parts = [kind.value, owner or ""]
    if rule.needs_sponsor:
        parts.append(sponsor or "")
    return "/".join(parts)
