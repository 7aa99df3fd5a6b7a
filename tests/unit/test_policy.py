"""Policy as data: the shipped documents, layering, validation, document sets."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest

from gongji.domain.benefits import Incentives
from gongji.domain.errors import GongjiError
from gongji.domain.policy import (
    Policy,
    PolicyDocument,
    in_force,
    merge,
    overlaps,
    resolve,
    validate,
)
from gongji.services.policy.service import parse_documents, shipped_documents

ALL_EIGHT = {"spouse", "parent", "child", "sibling", "grandparent", "maternal_grandparent",
             "grandchild", "maternal_grandchild"}
BEFORE_WIDENING = {"spouse", "parent", "child"}


@pytest.fixture(scope="module")
def docs() -> list[PolicyDocument]:
    return shipped_documents()


def _relations(p: Policy) -> set[str]:
    return {r.value for r in p.mutual_aid.relations}


# -- the shipped documents -------------------------------------------------------------------

def test_shipped_documents_have_no_overlapping_versions(docs: list[PolicyDocument]) -> None:
    assert overlaps(docs) == []
    regions = {d.region for d in docs}
    assert {"000000", "440000", "510100", "510000"} <= regions


@pytest.mark.parametrize("admdvs", ["000000", "110100", "510100", "440100", "411300"])
def test_july_2024_widening_of_relations(docs: list[PolicyDocument], admdvs: str) -> None:
    assert _relations(resolve(docs, admdvs, date(2024, 6, 30))) == BEFORE_WIDENING
    assert _relations(resolve(docs, admdvs, date(2024, 7, 1))) == ALL_EIGHT
    assert _relations(resolve(docs, admdvs, date(2021, 1, 1))) == BEFORE_WIDENING


def test_guangdong_wallet_is_not_live(docs: list[PolicyDocument]) -> None:
    for admdvs in ("440100", "440000", "440300"):
        p = resolve(docs, admdvs, date(2026, 1, 1))
        assert p.wallet.enabled is False
        assert p.wallet.cross_province_mutual_aid is False
        # what Guangdong does not set still comes from the national document
        assert p.wallet.max_transfer == 200000
        assert _relations(p) == ALL_EIGHT


def test_guangdong_before_its_document_is_national(docs: list[PolicyDocument]) -> None:
    assert resolve(docs, "440100", date(2023, 12, 31)).wallet.enabled is True
    assert resolve(docs, "440100", date(2024, 1, 1)).wallet.enabled is False


def test_sichuan_place_of_use_change_from_june_2025(docs: list[PolicyDocument]) -> None:
    before = resolve(docs, "510100", date(2025, 5, 31))
    after = resolve(docs, "510100", date(2025, 6, 1))
    assert before.wallet.enabled is True
    assert after.wallet.enabled is True
    assert before.wallet.place_of_use_change is False
    assert after.wallet.place_of_use_change is True
    # the province document reaches every region of the province
    assert resolve(docs, "510700", date(2025, 6, 1)).wallet.place_of_use_change is True
    assert resolve(docs, "510000", date(2025, 6, 1)).wallet.place_of_use_change is True


def test_beijing_has_no_place_of_use_change(docs: list[PolicyDocument]) -> None:
    p = resolve(docs, "110100", date(2026, 1, 1))
    assert p.wallet.enabled is True
    assert p.wallet.place_of_use_change is False


NATIONAL_DAY = date(2026, 1, 1)


def _check_national_values(p: Policy) -> None:
    w = p.wallet
    assert w.enabled is True
    assert w.cross_province_mutual_aid is True
    assert w.place_of_use_change is False
    assert w.max_transfer == 200000
    assert w.daily_transfer_count == 3
    assert w.closed_hours.start == time(22, 0)
    assert w.closed_hours.end == time(6, 0)
    assert w.accept_deadline == time(6, 0)
    assert w.one_pending_per_receiver is True
    assert w.annual_transfer_cap is None
    m = p.mutual_aid
    assert _relations(p) == ALL_EIGHT
    assert m.sponsor_insutypes == {"310"}
    assert m.beneficiary_insutypes == {"310", "390"}
    assert m.require_verified_relation is False
    assert m.min_binding_days == 0
    assert m.min_sponsor_balance == 0
    assert (p.pin.length, p.pin.max_attempts, p.pin.lockout_minutes) == (6, 5, 30)
    assert p.credentials.code_ttl_seconds == 60
    assert p.credentials.minor_age == 16 and p.credentials.proxy_members == 5
    assert (p.login.otp_length, p.login.otp_ttl_seconds, p.login.otp_max_attempts,
            p.login.otp_resend_seconds, p.login.session_hours) == (6, 300, 5, 60, 12)
    assert p.credentials.minor_documents == {"household_register", "birth_certificate"}
    assert (p.credentials.minor_documents_needed, p.credentials.proxy_open_documents) == (
        "any", "minor")
    wait = p.contributions.resident_waiting
    assert (wait.from_year, wait.fixed_months, wait.months_per_lapsed_year,
            wait.max_months) == (2025, 3, 1, None)


def test_code_defaults_are_the_national_values() -> None:
    _check_national_values(Policy())


def test_national_document_has_the_national_values(docs: list[PolicyDocument]) -> None:
    national = resolve(docs, "000000", NATIONAL_DAY)
    _check_national_values(national)
    defaults = Policy()
    for part in ("wallet", "mutual_aid", "pin", "credentials", "login", "prescriptions"):
        assert getattr(national, part) == getattr(defaults, part), part
    assert national.contributions.resident_waiting == defaults.contributions.resident_waiting


def test_critical_illness_incentives_are_the_code_defaults(docs: list[PolicyDocument]) -> None:
    """The national 大病保险 incentives (国办发〔2024〕38号) are Incentives() in code, and a
    region's own 390 layer (聊城) keeps them."""
    for region in ("000000", "371500"):
        supp = resolve(docs, region, NATIONAL_DAY).benefits.supplementary["390"]
        assert supp.incentives == Incentives(), region
    assert resolve(docs, "000000", NATIONAL_DAY).benefits.supplementary["310"].incentives \
        is None


def test_resident_contribution_2027(docs: list[PolicyDocument]) -> None:
    p = resolve(docs, "110100", NATIONAL_DAY)
    c = p.contributions.find("390", 2027)
    assert c is not None
    assert c.amount == 40000
    assert c.window_start == date(2026, 9, 1)
    assert c.window_end == date(2026, 12, 31)
    c2023 = p.contributions.find("390", 2023)
    assert c2023 is not None
    assert c2023.amount == 38000
    assert p.contributions.find("390", 2030) is None


def test_long_term_care_only_in_chengdu(docs: list[PolicyDocument]) -> None:
    chengdu = resolve(docs, "510100", NATIONAL_DAY)
    ltc = chengdu.contributions.find("ltc", 2027)
    assert ltc is not None
    assert ltc.amount == 2500
    assert (ltc.window_start, ltc.window_end) == (date(2026, 9, 1), date(2026, 12, 31))
    # Chengdu's document adds long-term care without losing the national resident table
    resident = chengdu.contributions.find("390", 2027)
    assert resident is not None
    assert resident.amount == 40000
    assert resolve(docs, "110100", NATIONAL_DAY).contributions.find("ltc", 2027) is None
    assert resolve(docs, "510700", NATIONAL_DAY).contributions.find("ltc", 2027) is None


def test_no_documents_means_code_defaults() -> None:
    assert resolve([], "510100", NATIONAL_DAY) == Policy()


# -- layering --------------------------------------------------------------------------------

def _doc(region: str, start: date, end: date | None = None, **body: Any) -> PolicyDocument:
    return PolicyDocument(region=region, effective_from=start, effective_to=end, body=body,
                          source=f"{region}@{start}")


def test_region_overrides_province_overrides_national() -> None:
    docs = [
        _doc("000000", date(2024, 1, 1), wallet={"max_transfer": "2000.00",
                                                 "daily_transfer_count": 3}),
        _doc("510000", date(2024, 1, 1), wallet={"max_transfer": "1500.00",
                                                 "daily_transfer_count": 5}),
        _doc("510100", date(2024, 1, 1), wallet={"max_transfer": "1000.00"}),
    ]
    city = resolve(docs, "510100", date(2025, 1, 1))
    assert city.wallet.max_transfer == 100000
    assert city.wallet.daily_transfer_count == 5
    province = resolve(docs, "510000", date(2025, 1, 1))
    assert province.wallet.max_transfer == 150000
    other_city = resolve(docs, "510700", date(2025, 1, 1))
    assert other_city.wallet.max_transfer == 150000
    other_province = resolve(docs, "110100", date(2025, 1, 1))
    assert other_province.wallet.max_transfer == 200000
    assert other_province.wallet.daily_transfer_count == 3
    national = resolve(docs, "000000", date(2025, 1, 1))
    assert national.wallet.max_transfer == 200000


def test_latest_version_in_force_wins() -> None:
    docs = [
        _doc("510100", date(2024, 1, 1), wallet={"daily_transfer_count": 4}),
        _doc("510100", date(2025, 1, 1), wallet={"daily_transfer_count": 6}),
    ]
    assert resolve(docs, "510100", date(2024, 12, 31)).wallet.daily_transfer_count == 4
    assert resolve(docs, "510100", date(2025, 1, 1)).wallet.daily_transfer_count == 6
    assert resolve(docs, "510100", date(2023, 12, 31)).wallet.daily_transfer_count == 3
    found = in_force(docs, "510100", date(2025, 1, 1))
    assert found is not None
    assert found.effective_from == date(2025, 1, 1)
    assert in_force(docs, "510000", date(2025, 1, 1)) is None


def test_effective_to_is_exclusive() -> None:
    doc = _doc("510100", date(2024, 1, 1), date(2024, 7, 1), wallet={"enabled": False})
    assert doc.covers(date(2024, 1, 1))
    assert doc.covers(date(2024, 6, 30))
    assert not doc.covers(date(2024, 7, 1))
    assert not doc.covers(date(2023, 12, 31))
    assert resolve([doc], "510100", date(2024, 6, 30)).wallet.enabled is False
    assert resolve([doc], "510100", date(2024, 7, 1)).wallet.enabled is True


def test_resolve_refuses_a_bad_merged_body_naming_the_sources() -> None:
    docs = [_doc("510100", date(2024, 1, 1), wallet={"max_transfer": 2000})]
    with pytest.raises(GongjiError) as e:
        resolve(docs, "510100", date(2025, 1, 1))
    assert e.value.code == "POLICY_INVALID"
    assert e.value.params["source"] == "510100@2024-01-01"
    assert e.value.params["errors"][0].startswith("wallet.max_transfer: ")


# -- merge -----------------------------------------------------------------------------------

def test_merge_is_deep() -> None:
    base = {"wallet": {"enabled": True, "closed_hours": {"start": "22:00", "end": "06:00"}},
            "pin": {"length": 6}, "keep": 1}
    over = {"wallet": {"closed_hours": {"start": "21:00"}, "max_transfer": "10.00"},
            "pin": 7, "new": [1]}
    out = merge(base, over)
    assert out == {
        "wallet": {"enabled": True, "closed_hours": {"start": "21:00", "end": "06:00"},
                   "max_transfer": "10.00"},
        "pin": 7,
        "keep": 1,
        "new": [1],
    }
    # the inputs are left alone
    assert base["wallet"]["closed_hours"] == {"start": "22:00", "end": "06:00"}
    assert "max_transfer" not in base["wallet"]


def test_merge_replaces_lists_and_mappings_replace_scalars() -> None:
    assert merge({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert merge({"a": {"b": 2}}, {"a": None}) == {"a": None}
    assert merge({}, {}) == {}


# -- validate --------------------------------------------------------------------------------

def _problems(body: dict[str, Any]) -> list[str]:
    with pytest.raises(GongjiError) as e:
        validate(body, source="test.yaml")
    assert e.value.code == "POLICY_INVALID"
    assert e.value.params["source"] == "test.yaml"
    errors: list[str] = e.value.params["errors"]
    assert e.value.params["problems"] == "; ".join(errors)
    return errors


def _paths(errors: list[str]) -> list[str]:
    return [p.split(": ", 1)[0] for p in errors]


def test_yuan_strings_become_fen() -> None:
    p = validate({"wallet": {"max_transfer": "1500.5", "annual_transfer_cap": "5000.00"},
                  "mutual_aid": {"min_sponsor_balance": "0.01"}})
    assert p.wallet.max_transfer == 150050
    assert p.wallet.annual_transfer_cap == 500000
    assert p.mutual_aid.min_sponsor_balance == 1


def test_bare_number_amount_is_refused() -> None:
    errors = _problems({"wallet": {"max_transfer": 2000}})
    assert _paths(errors) == ["wallet.max_transfer"]
    assert "not a bare number" in errors[0]


def test_float_amount_is_refused() -> None:
    assert _paths(_problems({"wallet": {"max_transfer": 2000.0}})) == ["wallet.max_transfer"]


def test_three_decimals_are_refused() -> None:
    errors = _problems({"wallet": {"max_transfer": "2000.001"}})
    assert _paths(errors) == ["wallet.max_transfer"]
    assert "2000.001" in errors[0]


def test_negative_amount_is_refused() -> None:
    errors = _problems({"mutual_aid": {"min_sponsor_balance": "-1.00"}})
    assert _paths(errors) == ["mutual_aid.min_sponsor_balance"]


def test_unknown_key_is_refused_by_path() -> None:
    assert _paths(_problems({"wallet": {"colour": "red"}})) == ["wallet.colour"]
    assert _paths(_problems({"walet": {"enabled": False}})) == ["walet"]


def test_every_error_is_named() -> None:
    errors = _problems({
        "wallet": {"max_transfer": 2000, "colour": "red", "daily_transfer_count": 0},
        "mutual_aid": {"relations": ["spouse", "friend"]},
        "credentials": {"code_ttl_seconds": 5},
    })
    assert sorted(_paths(errors)) == sorted([
        "wallet.max_transfer", "wallet.colour", "wallet.daily_transfer_count",
        "mutual_aid.relations.1", "credentials.code_ttl_seconds",
    ])


def test_contribution_errors_name_the_row() -> None:
    row = {"year": 2027, "amount": 400, "window_start": "2026-09-01",
           "window_end": "2026-12-31"}
    errors = _problems({"contributions": {"resident": [row]}})
    assert _paths(errors) == ["contributions.resident.0.amount"]
    backwards = {**row, "amount": "400.00", "window_end": "2026-08-31"}
    errors = _problems({"contributions": {"resident": [backwards]}})
    assert _paths(errors) == ["contributions.resident.0"]
    assert "window_end is before window_start" in errors[0]


def test_partial_body_keeps_other_defaults() -> None:
    p = validate({"wallet": {"enabled": False, "daily_transfer_count": 5}})
    assert p.wallet.enabled is False
    assert p.wallet.daily_transfer_count == 5
    assert p.wallet.max_transfer == 200000
    assert p.mutual_aid == Policy().mutual_aid


# -- parse_documents -------------------------------------------------------------------------

GOOD = """\
region: "510100"
name: test
effective_from: 2025-01-01
effective_to: 2026-01-01
wallet:
  max_transfer: "1000.00"
"""


def test_parse_a_good_document() -> None:
    [doc] = parse_documents(GOOD, source="up.yaml")
    assert doc.region == "510100"
    assert doc.name == "test"
    assert doc.effective_from == date(2025, 1, 1)
    assert doc.effective_to == date(2026, 1, 1)
    assert doc.body == {"wallet": {"max_transfer": "1000.00"}}
    assert doc.source == "up.yaml"


def test_parse_several_documents_numbers_their_sources() -> None:
    text = GOOD + "---\n" + GOOD.replace("2025-01-01", "2026-01-01").replace(
        "effective_to: 2026-01-01\n", "")
    first, second = parse_documents(text, source="up.yaml")
    assert (first.source, second.source) == ("up.yaml#1", "up.yaml#2")
    assert second.effective_from == date(2026, 1, 1)
    assert second.effective_to is None


def _parse_refused(text: str) -> list[str]:
    with pytest.raises(GongjiError) as e:
        parse_documents(text, source="up.yaml")
    assert e.value.code == "POLICY_INVALID"
    assert e.value.params["source"] == "up.yaml"
    errors: list[str] = e.value.params["errors"]
    return errors


def test_invalid_yaml_names_the_line() -> None:
    text = 'region: "510100"\neffective_from: 2025-01-01\nwallet: [1, 2\nname: x\n'
    [problem] = _parse_refused(text)
    assert problem.startswith("YAML line 4 ")


def test_bad_indentation_names_the_line() -> None:
    text = 'region: "510100"\neffective_from: 2025-01-01\nwallet:\n  enabled: true\n' \
           ' max_transfer: "1.00"\n'
    [problem] = _parse_refused(text)
    assert problem.startswith("YAML line 5 ")


def test_missing_effective_from_is_refused() -> None:
    errors = _parse_refused('region: "510100"\nwallet: {enabled: false}\n')
    assert _paths(errors) == ["effective_from"]


def test_effective_from_must_be_a_date() -> None:
    errors = _parse_refused('region: "510100"\neffective_from: "soon"\n')
    assert _paths(errors) == ["effective_from"]


def test_effective_to_before_effective_from_is_refused() -> None:
    for end in ("2024-12-31", "2025-01-01"):
        errors = _parse_refused(
            f'region: "510100"\neffective_from: 2025-01-01\neffective_to: {end}\n')
        assert _paths(errors) == ["effective_to"]
        assert "after effective_from" in errors[0]


@pytest.mark.parametrize("region", ['"51010"', '"0510100"', '"051010"', "abc", '""', "000000"])
def test_bad_region_code_is_refused(region: str) -> None:
    # an unquoted 000000 is the integer 0 in YAML, not the national code
    errors = _parse_refused(f"region: {region}\neffective_from: 2025-01-01\n")
    assert _paths(errors) == ["region"]


def test_missing_region_and_date_are_both_named() -> None:
    errors = _parse_refused("wallet: {enabled: false}\n")
    assert sorted(_paths(errors)) == ["effective_from", "region"]


def test_national_region_code_is_accepted() -> None:
    [doc] = parse_documents('region: "000000"\neffective_from: 2025-01-01\n', source="n")
    assert doc.region == "000000"


def test_empty_file_and_non_mapping_are_refused() -> None:
    assert _parse_refused("") == ["the file is empty"]
    assert _parse_refused("# only a comment\n") == ["the file is empty"]
    assert _parse_refused("- 1\n- 2\n") == ["(document): not a mapping"]


# -- overlaps --------------------------------------------------------------------------------

def test_explicit_ranges_that_overlap_are_reported() -> None:
    a = _doc("510100", date(2024, 1, 1), date(2025, 2, 1))
    b = _doc("510100", date(2025, 1, 1), date(2026, 1, 1))
    assert overlaps([b, a]) == [(a, b)]


def test_same_start_is_reported() -> None:
    a = _doc("510100", date(2025, 1, 1))
    b = _doc("510100", date(2025, 1, 1), date(2026, 1, 1))
    assert len(overlaps([a, b])) == 1


def test_touching_ranges_do_not_overlap() -> None:
    a = _doc("510100", date(2024, 1, 1), date(2025, 1, 1))
    b = _doc("510100", date(2025, 1, 1), date(2026, 1, 1))
    assert overlaps([a, b]) == []


def test_open_ended_version_followed_by_a_later_one_is_fine() -> None:
    a = _doc("510100", date(2024, 1, 1))
    b = _doc("510100", date(2025, 1, 1))
    assert overlaps([a, b]) == []


def test_different_regions_never_overlap() -> None:
    a = _doc("510100", date(2024, 1, 1), date(2026, 1, 1))
    b = _doc("510000", date(2025, 1, 1), date(2026, 1, 1))
    assert overlaps([a, b]) == []


# -- found in review: documents that YAML reads differently from how they look --------------

def test_a_datetime_effective_from_is_refused_not_crashed() -> None:
    with pytest.raises(GongjiError) as e:
        parse_documents("region: '510100'\neffective_from: 2025-07-01 10:00:00\n", source="u")
    assert e.value.code == "POLICY_INVALID"
    assert "effective_from" in e.value.message_en


@pytest.mark.parametrize("body", [
    {"wallet": {"closed_hours": {"start": 1320, "end": "06:00"}}},  # YAML's unquoted 22:00
    {"wallet": {"closed_hours": {"start": "22:00+08:00", "end": "06:00"}}},
    {"wallet": {"accept_deadline": "7:30"}},
    {"wallet": {"daily_transfer_count": True}},
    {"wallet": {"daily_transfer_count": "3"}},
])
def test_times_and_counts_must_be_written_as_such(body: dict[str, object]) -> None:
    with pytest.raises(GongjiError) as e:
        validate(body)
    assert e.value.code == "POLICY_INVALID"


def test_unquoted_yaml_time_is_refused_with_a_hint() -> None:
    docs = parse_documents("region: '510100'\neffective_from: 2027-01-01\n"
                           "wallet: {closed_hours: {start: 22:00, end: '06:00'}}\n", source="u")
    with pytest.raises(GongjiError) as e:
        validate(dict(docs[0].body))
    assert any('"HH:MM"' in p for p in e.value.params["errors"])
