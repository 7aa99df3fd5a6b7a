"""Family mutual aid: close relatives, who may bind to whom, and when a binding may end."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from gongji.domain.clock import UTC, shanghai
from gongji.domain.errors import GongjiError
from gongji.domain.family import Member, check_binding, check_unbind
from gongji.domain.policy import Policy
from gongji.domain.relations import Relation, inverse, parse_relation

ALL = frozenset({"spouse", "parent", "child", "sibling", "grandparent", "maternal_grandparent",
                 "grandchild", "maternal_grandchild"})
NARROW = frozenset({"spouse", "parent", "child"})
DEFAULT = Policy()


# -- parse_relation ----------------------------------------------------------------------------

@pytest.mark.parametrize("value", sorted(ALL))
def test_every_close_relative_parses(value: str) -> None:
    rel = parse_relation(value, ALL)
    assert rel.value == value
    assert isinstance(rel, Relation)


@pytest.mark.parametrize(("value", "name"), [
    ("parent_in_law", "parent-in-law"),
    ("child_in_law", "child-in-law"),
    ("sibling_in_law", "sibling-in-law"),
])
def test_in_laws_are_not_close(value: str, name: str) -> None:
    with pytest.raises(GongjiError) as e:
        parse_relation(value, ALL | {value})
    assert e.value.code == "RELATION_NOT_CLOSE"
    assert e.value.message_en.startswith(name)


@pytest.mark.parametrize("value", ["friend", "", "Spouse", "cousin", "SPOUSE"])
def test_unknown_relations_are_refused(value: str) -> None:
    with pytest.raises(GongjiError) as e:
        parse_relation(value, ALL)
    assert e.value.code == "RELATION_NOT_CLOSE"


@pytest.mark.parametrize("value", ["sibling", "grandparent", "maternal_grandchild"])
def test_relation_outside_the_allowed_set(value: str) -> None:
    with pytest.raises(GongjiError) as e:
        parse_relation(value, NARROW)
    assert e.value.code == "RELATION_NOT_ALLOWED"
    assert e.value.params["allowed"] == "child, parent, spouse"
    assert "allowed: child, parent, spouse" in e.value.message_en


def test_narrow_set_still_allows_its_members() -> None:
    assert parse_relation("spouse", NARROW) is Relation.SPOUSE
    assert parse_relation("child", NARROW) is Relation.CHILD


# -- inverse -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("rel", "other"), [
    ("spouse", "spouse"),
    ("parent", "child"),
    ("child", "parent"),
    ("sibling", "sibling"),
    ("grandparent", "grandchild"),
    ("grandchild", "grandparent"),
    ("maternal_grandparent", "maternal_grandchild"),
    ("maternal_grandchild", "maternal_grandparent"),
])
def test_inverse(rel: str, other: str) -> None:
    assert inverse(Relation(rel)) == Relation(other)
    assert inverse(inverse(Relation(rel))) == Relation(rel)


def test_inverse_covers_every_relation() -> None:
    assert {inverse(r).value for r in Relation} == ALL


# -- check_binding -----------------------------------------------------------------------------

SPONSOR = Member(psn_no="P-ME", brdy=date(1980, 5, 1), insutypes=frozenset({"310"}),
                 has_personal_account=True, insuplc_admdvs="510100")
FATHER = Member(psn_no="P-FATHER", brdy=date(1952, 3, 1), insutypes=frozenset({"390"}),
                has_personal_account=False, insuplc_admdvs="510100")
DAUGHTER = Member(psn_no="P-DAUGHTER", brdy=date(2010, 9, 1), insutypes=frozenset({"390"}),
                  has_personal_account=False, insuplc_admdvs="510100")
WIFE = Member(psn_no="P-WIFE", brdy=date(1982, 1, 1), insutypes=frozenset({"310"}),
              has_personal_account=True, insuplc_admdvs="411300")


def _binding_refused(sponsor: Member, beneficiary: Member, relation: str,
                     policy: Policy = DEFAULT) -> GongjiError:
    with pytest.raises(GongjiError) as e:
        check_binding(sponsor, beneficiary, relation, policy)
    return e.value


@pytest.mark.parametrize(("beneficiary", "relation"), [
    (FATHER, "parent"),
    (DAUGHTER, "child"),
    (WIFE, "spouse"),
    (FATHER, "grandparent"),
    (DAUGHTER, "maternal_grandchild"),
    (WIFE, "sibling"),
])
def test_valid_bindings(beneficiary: Member, relation: str) -> None:
    assert check_binding(SPONSOR, beneficiary, relation, DEFAULT) == Relation(relation)


def test_binding_with_oneself_is_refused() -> None:
    assert _binding_refused(SPONSOR, SPONSOR, "spouse").code == "BINDING_SELF"
    twin = replace(SPONSOR, brdy=date(1990, 1, 1))
    assert _binding_refused(SPONSOR, twin, "sibling").code == "BINDING_SELF"


def test_sponsor_without_employee_insurance() -> None:
    resident = replace(SPONSOR, insutypes=frozenset({"390"}))
    err = _binding_refused(resident, FATHER, "parent")
    assert err.code == "SPONSOR_NOT_ELIGIBLE"
    assert err.params["required"] == "310"
    assert _binding_refused(replace(SPONSOR, insutypes=frozenset()), FATHER,
                            "parent").code == "SPONSOR_NOT_ELIGIBLE"


def test_sponsor_without_personal_account() -> None:
    err = _binding_refused(replace(SPONSOR, has_personal_account=False), FATHER, "parent")
    assert err.code == "SPONSOR_NOT_ELIGIBLE"


def test_beneficiary_not_enrolled() -> None:
    err = _binding_refused(SPONSOR, replace(FATHER, insutypes=frozenset()), "parent")
    assert err.code == "BENEFICIARY_NOT_ENROLLED"
    assert err.params["required"] == "310, 390"
    other = replace(FATHER, insutypes=frozenset({"510"}))
    assert _binding_refused(SPONSOR, other, "parent").code == "BENEFICIARY_NOT_ENROLLED"


def test_employee_beneficiary_is_enrolled() -> None:
    assert check_binding(SPONSOR, replace(FATHER, insutypes=frozenset({"310"})), "parent",
                         DEFAULT) is Relation.PARENT


@pytest.mark.parametrize(("beneficiary_brdy", "relation"), [
    (date(1990, 1, 1), "parent"),            # a parent younger than the sponsor
    (date(1980, 5, 1), "parent"),            # born the same day
    (date(1980, 5, 2), "grandparent"),
    (date(1960, 1, 1), "child"),             # a child older than the sponsor
    (date(1980, 5, 1), "child"),
    (date(1979, 1, 1), "maternal_grandchild"),
])
def test_implausible_relations(beneficiary_brdy: date, relation: str) -> None:
    err = _binding_refused(SPONSOR, replace(FATHER, brdy=beneficiary_brdy), relation)
    assert err.code == "RELATION_IMPLAUSIBLE"


def test_a_parent_one_day_older_is_plausible() -> None:
    father = replace(FATHER, brdy=date(1980, 4, 30))
    assert check_binding(SPONSOR, father, "parent", DEFAULT) is Relation.PARENT


def test_relation_refused_by_the_region_policy() -> None:
    narrow = Policy.model_validate({"mutual_aid": {"relations": ["spouse", "parent", "child"]}})
    err = _binding_refused(SPONSOR, WIFE, "sibling", narrow)
    assert err.code == "RELATION_NOT_ALLOWED"
    assert check_binding(SPONSOR, WIFE, "spouse", narrow) is Relation.SPOUSE


def test_in_law_binding_is_refused() -> None:
    assert _binding_refused(SPONSOR, FATHER, "parent_in_law").code == "RELATION_NOT_CLOSE"


def test_resident_sponsor_where_the_region_allows_it() -> None:
    policy = Policy.model_validate({"mutual_aid": {"sponsor_insutypes": ["310", "390"]}})
    resident = replace(SPONSOR, insutypes=frozenset({"390"}))
    assert check_binding(resident, FATHER, "parent", policy) is Relation.PARENT
    # a personal account is still required
    no_account = replace(resident, has_personal_account=False)
    assert _binding_refused(no_account, FATHER, "parent", policy).code == "SPONSOR_NOT_ELIGIBLE"


# -- check_unbind ------------------------------------------------------------------------------

NINETY = Policy.model_validate({"mutual_aid": {"min_binding_days": 90}})
ACTIVATED = shanghai(2026, 1, 10, 9, 30, 0)


def test_unbind_one_second_before_the_minimum() -> None:
    now = ACTIVATED + timedelta(days=90) - timedelta(seconds=1)
    with pytest.raises(GongjiError) as e:
        check_unbind(ACTIVATED, now, NINETY)
    assert e.value.code == "BINDING_TOO_RECENT"
    assert e.value.params["days"] == 90
    assert e.value.params["until"] == "2026-04-10"
    assert "90 days, from 2026-04-10" in e.value.message_en


def test_unbind_exactly_at_the_minimum() -> None:
    check_unbind(ACTIVATED, shanghai(2026, 4, 10, 9, 30, 0), NINETY)
    check_unbind(ACTIVATED, shanghai(2026, 4, 10, 9, 30, 1), NINETY)


def test_unbind_right_after_binding_refused() -> None:
    with pytest.raises(GongjiError) as e:
        check_unbind(ACTIVATED, ACTIVATED, NINETY)
    assert e.value.code == "BINDING_TOO_RECENT"


def test_unbind_compares_instants_across_zones() -> None:
    # 2026-04-10 01:30 UTC is 09:30 in Shanghai: exactly the 90 days
    check_unbind(ACTIVATED, shanghai(2026, 4, 10, 9, 30, 0).astimezone(UTC), NINETY)
    with pytest.raises(GongjiError) as e:
        check_unbind(ACTIVATED, shanghai(2026, 4, 10, 9, 29, 59).astimezone(UTC), NINETY)
    assert e.value.code == "BINDING_TOO_RECENT"


def test_unbind_any_time_without_a_minimum() -> None:
    check_unbind(ACTIVATED, ACTIVATED, DEFAULT)
    check_unbind(ACTIVATED, ACTIVATED + timedelta(seconds=1), DEFAULT)


def test_unbind_a_pending_request_any_time() -> None:
    check_unbind(None, ACTIVATED, NINETY)
