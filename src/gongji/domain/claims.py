"""Hand claims (手工报销 / 零星报销): care paid in full, reimbursed afterwards at home.

A person (or their proxy) submits the invoice, the fee list, the diagnosis and the dates;
the insured region reviews it (approve, with each line admitted in full, in part or not at
all, or refuse with a reason); the same engine as a direct settlement computes it, under the
insured region's benefits and the care region's catalog. Approval books the reimbursement to
the person as payable; payment sends it to their bank account. Until it is paid the person may
withdraw an unreviewed claim and an operator may cancel an approved one (a reversal).

Pure: states, what may happen in each, and the checks of a review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from gongji.domain.benefits import Benefits
from gongji.domain.errors import Bi, GongjiError

SUBMITTED, APPROVED, REFUSED, PAID, CANCELLED = (
    "submitted", "approved", "refused", "paid", "cancelled")
STATES = (SUBMITTED, APPROVED, REFUSED, PAID, CANCELLED)

MOVES: Mapping[str, Mapping[str, str]] = {
    SUBMITTED: {"approve": APPROVED, "refuse": REFUSED, "withdraw": CANCELLED},
    APPROVED: {"pay": PAID, "cancel": CANCELLED},
    REFUSED: {},
    PAID: {},
    CANCELLED: {},
}
"""What may happen to a claim in each state, and the state it leads to. Nothing leaves paid,
refused or cancelled: a refused claim may be submitted again as a new claim."""

STATE_WORDS: Mapping[str, Bi] = {
    SUBMITTED: Bi("已提交，待审核", "submitted, waiting for review"),
    APPROVED: Bi("审核通过，待支付", "approved, waiting for payment"),
    REFUSED: Bi("未通过", "refused"),
    PAID: Bi("已支付到银行账户", "paid to the bank account"),
    CANCELLED: Bi("已撤销", "cancelled"),
}


ACTION_WORDS: Mapping[str, Bi] = {
    "approve": Bi("审核通过", "approved"), "refuse": Bi("不予报销", "refused"),
    "withdraw": Bi("撤回", "withdrawn"), "pay": Bi("支付", "paid"),
    "cancel": Bi("撤销", "cancelled"),
}


def move(state: str, action: str) -> str:
    """The state after the action, or CLAIM_STATE if the claim's state does not allow it."""
    after = MOVES[state].get(action)
    if after is None:
        raise GongjiError("CLAIM_STATE", state=STATE_WORDS[state], action=ACTION_WORDS[action])
    return after


@dataclass(frozen=True, slots=True)
class Admitted:
    """A reviewer's decision on one fee line: the quantity admitted (at most the quantity
    claimed; 0 leaves the line out) and why, when it is less."""

    feedetl_sn: str
    cnt: Decimal
    reason: str = ""


def check_dates(begndate: date, enddate: date, today: date, *, within_days: int) -> None:
    """Care that has ended, not in the future, and claimed within the region's deadline."""
    if enddate < begndate:
        raise GongjiError("CLAIM_DATES_INVALID", reason=Bi("出院（结束）日期早于开始日期",
                                                           "the care ends before it begins"))
    if enddate > today:
        raise GongjiError("CLAIM_DATES_INVALID", reason=Bi("就医尚未结束，不能报销",
                                                           "the care has not ended yet"))
    if (today - enddate).days > within_days:
        raise GongjiError("CLAIM_TOO_LATE", days=within_days)


def admit(claimed: Mapping[str, Decimal], decisions: Sequence[Admitted]) -> dict[str, Decimal]:
    """The quantity admitted per line: as claimed unless a decision says otherwise. A decision
    names a line of the claim, admits no more than was claimed, and gives a reason for less."""
    out = dict(claimed)
    for d in decisions:
        if d.feedetl_sn not in claimed:
            raise GongjiError("CLAIM_REVIEW_INVALID", feedetl_sn=d.feedetl_sn,
                              reason=Bi("报销单中没有这条明细", "no such line in the claim"))
        if not d.cnt.is_finite() or d.cnt < 0 or d.cnt > claimed[d.feedetl_sn] or \
                int(d.cnt.as_tuple().exponent) < -4:
            raise GongjiError("CLAIM_REVIEW_INVALID", feedetl_sn=d.feedetl_sn,
                              reason=Bi(f"核准数量须在 0 到 {claimed[d.feedetl_sn]} 之间",
                                        f"the admitted quantity is 0 to "
                                        f"{claimed[d.feedetl_sn]}"))
        if d.cnt < claimed[d.feedetl_sn] and not d.reason.strip():
            raise GongjiError("CLAIM_REVIEW_INVALID", feedetl_sn=d.feedetl_sn,
                              reason=Bi("核减须说明理由", "say why a line is reduced"))
        out[d.feedetl_sn] = d.cnt
    if not any(out.values()):
        raise GongjiError("CLAIM_REVIEW_INVALID", feedetl_sn="*",
                          reason=Bi("全部核减时请改为不予报销并说明理由",
                                    "to admit nothing, refuse the claim with a reason"))
    return out


def amount_of(cnt: Decimal, pric: Decimal) -> int:
    """A line's amount in fen: quantity x unit price (yuan), rounded half up, as the engine
    checks a fee line."""
    return int((cnt * pric * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def benefits_for_claim(benefits: Benefits, unfiled: str) -> Benefits:
    """The benefits a hand claim is computed under: the region's own, except that care out
    of area without a filing, which is not settled directly, is reimbursed at the unfiled
    reduction (claims.unfiled reduce) or refused (refuse) wherever it happened."""
    rules = benefits.out_of_area.model_copy(update={"unfiled": unfiled,
                                                    "unfiled_in_province": unfiled})
    return benefits.model_copy(update={"out_of_area": rules})
