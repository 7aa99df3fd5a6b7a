"""A resolved policy written back as a document, and the difference of two policies (what the
console shows and compares)."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from gongji.domain.policy import Change, as_document, diff, flatten, resolve, validate
from gongji.services.policy.service import shipped_documents

DOCS = shipped_documents()


@pytest.mark.parametrize("admdvs", ["000000", "110100", "350100", "371500", "440100", "510100"])
@pytest.mark.parametrize("day", [date(2021, 1, 1), date(2026, 11, 24)])
def test_the_document_of_a_policy_validates_back_to_it(admdvs: str, day: date) -> None:
    policy = resolve(DOCS, admdvs, day)
    doc = as_document(policy)
    assert validate(doc) == policy
    # and survives YAML, as the console shows it
    assert validate(yaml.safe_load(yaml.safe_dump(doc, allow_unicode=True))) == policy


def test_amounts_are_yuan_times_are_wall_times_sets_are_sorted() -> None:
    doc = as_document(resolve(DOCS, "510100", date(2026, 11, 24)))
    wallet = doc["wallet"]
    assert wallet["max_transfer"] == "2000.00" and wallet["annual_transfer_cap"] is None
    assert wallet["closed_hours"] == {"start": "22:00", "end": "06:00"}
    assert doc["mutual_aid"]["min_sponsor_balance"] == "0.00"
    assert doc["mutual_aid"]["relations"] == sorted(doc["mutual_aid"]["relations"])
    assert doc["benefits"]["caps"]["employee_pool"] == "400000.00"
    rule = doc["benefits"]["rules"][0]
    assert rule["deductible"]["amount"] == "1000.00" and rule["retiree_plus"] == "0.10"


def test_flatten_names_every_parameter_by_path() -> None:
    flat = flatten({"wallet": {"max_transfer": "2000.00", "closed_hours": {"start": "22:00"}},
                    "rules": [{"pay": {"ratio": "0.8"}}], "relations": ["child", "parent"],
                    "caps": {}})
    assert flat == {"wallet.max_transfer": "2000.00", "wallet.closed_hours.start": "22:00",
                    "rules[0].pay.ratio": "0.8", "relations": ["child", "parent"], "caps": {}}


def test_diff_names_exactly_what_differs() -> None:
    national = resolve(DOCS, "000000", date(2026, 11, 24))
    guangzhou = resolve(DOCS, "440100", date(2026, 11, 24))
    assert diff(national, guangzhou) == [
        Change("wallet.enabled", "true", "false"),
        Change("wallet.cross_province_mutual_aid", "true", "false")]
    assert diff(national, national) == []
    before = resolve(DOCS, "510100", date(2024, 6, 30))
    after = resolve(DOCS, "510100", date(2024, 7, 1))
    widened = {c.path: c for c in diff(before, after)}["mutual_aid.relations"]
    assert widened.before == "[child, parent, spouse]"
    assert widened.after is not None and "grandparent" in widened.after
