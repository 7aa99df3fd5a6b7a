"""Family mutual aid (家庭共济): who may bind to whom, and when a binding may end.

A binding joins a sponsor (employee with a personal account) and a close relative enrolled
in any basic scheme. One-to-many both ways. It is requested by one side and active once the
other consents; it ends by either side, or by itself when either side's enrollment ends or
moves out of the pooling region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gongji.domain.errors import GongjiError
from gongji.domain.policy import Policy
from gongji.domain.relations import NAMES, Relation, parse_relation

OLDER = {Relation.PARENT, Relation.GRANDPARENT, Relation.MATERNAL_GRANDPARENT}
YOUNGER = {Relation.CHILD, Relation.GRANDCHILD, Relation.MATERNAL_GRANDCHILD}


@dataclass(frozen=True, slots=True)
class Member:
    psn_no: str
    brdy: date
    insutypes: frozenset[str]
    """Schemes with an active enrollment today."""
    has_personal_account: bool
    insuplc_admdvs: str | None


def check_binding(sponsor: Member, beneficiary: Member, relation: str,
                  policy: Policy) -> Relation:
    """The relation if sponsor may share with beneficiary under the sponsor's region policy."""
    if sponsor.psn_no == beneficiary.psn_no:
        raise GongjiError("BINDING_SELF")
    rules = policy.mutual_aid
    rel = parse_relation(relation, {r.value for r in rules.relations})
    if not (sponsor.insutypes & rules.sponsor_insutypes) or not sponsor.has_personal_account:
        raise GongjiError("SPONSOR_NOT_ELIGIBLE",
                          required=", ".join(sorted(rules.sponsor_insutypes)))
    if not beneficiary.insutypes & rules.beneficiary_insutypes:
        raise GongjiError("BENEFICIARY_NOT_ENROLLED",
                          required=", ".join(sorted(rules.beneficiary_insutypes)))
    # a cheap guard against mistakes and fraud: a parent is older than their child
    if (rel in OLDER and not beneficiary.brdy < sponsor.brdy) or \
            (rel in YOUNGER and not beneficiary.brdy > sponsor.brdy):
        raise GongjiError("RELATION_IMPLAUSIBLE", relation=NAMES[rel])
    return rel


def check_unbind(activated_at: datetime | None, now: datetime, policy: Policy) -> None:
    """Either side may end a binding, but not within min_binding_days of it taking effect."""
    days = policy.mutual_aid.min_binding_days
    if activated_at is not None and days and now < activated_at + timedelta(days=days):
        raise GongjiError("BINDING_TOO_RECENT", days=days,
                          until=(activated_at + timedelta(days=days)).strftime("%Y-%m-%d"))
