"""FHIR R4 resources from the services: each validates with fhir.resources and round-trips
through its JSON; an ExplanationOfBenefit's totals are its settlement's setlinfo; personal
data masked; the same authority as the REST API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from gongji.domain.catalog import ratio_text
from gongji.domain.errors import GongjiError
from gongji.services.clearing import service as clearing
from gongji.services.fhir import service as fhir
from gongji.services.people import service as people
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import Principal
from gongji.services.wallet import service as wallet
from tests.clinic import CLINIC, D_B, D_C, HENAN_PHARMACY, HOSPITAL, S_A, S_B, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import PIN, key, make_family

# the setlinfo field each EOB total carries, written out here (not taken from services/fhir)
EXPECTED_TOTALS = {
    "submitted": "medfee_sumamt", "eligible": "inscp_scp_amt", "deductible": "act_pay_dedc",
    "benefit": "fund_pay_sumamt", "hifp_pay": "hifp_pay", "hifmi_pay": "hifmi_pay",
    "hifob_pay": "hifob_pay", "maf_pay": "maf_pay", "fulamt_ownpay_amt": "fulamt_ownpay_amt",
    "overlmt_selfpay": "overlmt_selfpay", "preselfpay_amt": "preselfpay_amt",
    "psn_part_amt": "psn_part_amt", "acct_pay": "acct_pay",
    "acct_mulaid_pay": "acct_mulaid_pay", "psn_cash_pay": "psn_cash_pay",
    "cvlserv_pay": "cvlserv_pay", "hifes_pay": "hifes_pay", "oth_pay": "oth_pay",
    "hosp_part_amt": "hosp_part_amt"}


class World:
    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        fam, app = clinic.fam, clinic.app
        fam.open_wallet("张伟")
        fam.open_wallet("李秀英")
        fam.bind("张伟", "李秀英", "parent")
        t = transfers.send(app, fam["张伟"].who, key(), transfers.SendTransfer(
            fam["李秀英"].psn_no, 100_00), PIN).value
        transfers.respond(app, fam["李秀英"].who, key(), t.id, "accept")
        v = clinic.visit("张伟", at=HOSPITAL, med_type="21")
        clinic.fees(v, (S_A, "1", "3000"), (S_B, "1", "5200.5"), (D_B, "2", "30"),
                    (D_C, "1", "12.34"))
        self.inpatient = clinic.settle(v, "张伟")
        v = clinic.visit("李秀英", at=HENAN_PHARMACY, med_type="41")
        clinic.fees(v, (D_B, "2", "30"))
        self.pharmacy = clinic.settle(v, "李秀英")
        clinic.file_away("李秀英", "510000")
        v = clinic.visit("李秀英", at=CLINIC, med_type="11")
        clinic.fees(v, (S_A, "1", "250"))
        self.away = clinic.settle(v, "李秀英")

    def settlements(self) -> list[svc.SettlementView]:
        return [self.inpatient, self.pharmacy, self.away]


@pytest.fixture
def world(app: Gongji) -> World:
    return World(open_clinic(make_family(app)))


def round_trip(resource: dict) -> dict:  # type: ignore[type-arg]
    """Write, read back with exact decimals, validate with the fhir.resources model."""
    text = fhir.render(resource)
    again = fhir.parse(text)
    assert again == resource
    model = fhir.MODELS[again["resourceType"]].model_validate(again)
    assert model.get_resource_type() == resource["resourceType"]
    assert not re.search(r":-?[0-9.]+[eE][-+]?[0-9]", text)  # no float notation anywhere
    return again


def test_every_resource_validates_and_round_trips(world: World) -> None:
    app, fam = world.clinic.app, world.clinic.fam
    zw, lxy = fam["张伟"].psn_no, fam["李秀英"].psn_no
    enrollment_id = app.read(
        lambda uow: people.basic_enrollment(uow.conn, zw)).id  # type: ignore[union-attr]
    s = world.inpatient
    resources = [
        fhir.patient(app, OPERATOR, zw), fhir.coverage(app, OPERATOR, enrollment_id),
        fhir.coverages(app, OPERATOR, zw), fhir.account(app, OPERATOR, zw),
        fhir.account(app, OPERATOR, f"{lxy}-wallet"), fhir.claim(app, OPERATOR, s.mdtrt_id),
        fhir.claim_response(app, OPERATOR, s.setl_id), fhir.eob(app, OPERATOR, s.setl_id),
        fhir.eobs(app, OPERATOR, lxy), fhir.reconciliation(app, OPERATOR, "2026-11"),
        fhir.capability(app.clock.now()), fhir.outcome(GongjiError("FORBIDDEN"))]
    kinds = [round_trip(r)["resourceType"] for r in resources]
    assert kinds == ["Patient", "Coverage", "Bundle", "Account", "Account", "Claim",
                     "ClaimResponse", "ExplanationOfBenefit", "Bundle",
                     "PaymentReconciliation", "CapabilityStatement", "OperationOutcome"]
    cov = resources[1]
    assert (cov["type"]["coding"][0]["code"], cov["payor"][0]["identifier"]["value"],
            cov["period"]["start"], cov["status"]) == ("310", "510100", "2020-01-01", "active")
    assert resources[8]["total"] == 2


def test_eob_totals_equal_the_setlinfo(world: World) -> None:
    app = world.clinic.app
    for s in world.settlements():
        eob = fhir.eob(app, OPERATOR, s.setl_id)
        totals = {t["category"]["coding"][0]["code"]: t["amount"]["value"]
                  for t in eob["total"]}
        assert totals == {code: Decimal(getattr(s, field)) / 100
                          for code, field in EXPECTED_TOTALS.items()}
        assert all(t["amount"]["currency"] == "CNY" for t in eob["total"])
        assert eob["payment"]["amount"]["value"] == Decimal(s.fund_pay_sumamt) / 100
        percent = next(a["value"] for a in eob["adjudication"]
                       if a["category"]["coding"][0]["code"] == "eligpercent")
        assert percent == Decimal(ratio_text(s.pool_prop_selfpay)) * 100
        # lines: the submitted and eligible amounts add up to the header's
        for cat, field in (("submitted", "medfee_sumamt"), ("eligible", "inscp_scp_amt")):
            assert sum(a["amount"]["value"] for it in eob["item"] for a in it["adjudication"]
                       if a["category"]["coding"][0]["code"] == cat) == \
                Decimal(getattr(s, field)) / 100
        used = sum(f["usedMoney"]["value"] for b in eob["benefitBalance"]
                   for f in b["financial"] if "usedMoney" in f)
        assert used == Decimal(s.fund_pay_sumamt) / 100
        paid = {(e["extension"][0]["valueCode"]): e["extension"][-1]["valueMoney"]["value"]
                for e in eob["extension"]}
        assert sum(paid.values()) == Decimal(s.acct_pay + s.acct_mulaid_pay) / 100
        cr = fhir.claim_response(app, OPERATOR, s.setl_id)
        assert cr["total"] == eob["total"] and cr["request"]["reference"] == \
            f"Claim/{s.mdtrt_id}"
    # the quota of his mother's pharmacy purchase shows as family money, sponsor named
    eob = fhir.eob(app, OPERATOR, world.pharmacy.setl_id)
    assert world.pharmacy.acct_mulaid_pay > 0
    src = eob["extension"][0]["extension"]
    assert src[0]["valueCode"] == "quota"
    assert src[1]["valueReference"]["reference"] == f"Patient/{world.clinic.fam['张伟'].psn_no}"


def test_claim_carries_the_fee_lines_exactly(world: World) -> None:
    c = fhir.claim(world.clinic.app, OPERATOR, world.inpatient.mdtrt_id)
    assert [(i["quantity"]["value"], i["unitPrice"]["value"], i["net"]["value"])
            for i in c["item"]] == [(Decimal("1"), Decimal("3000"), Decimal("3000.00")),
                                    (Decimal("1"), Decimal("5200.5"), Decimal("5200.50")),
                                    (Decimal("2"), Decimal("30"), Decimal("60.00")),
                                    (Decimal("1"), Decimal("12.34"), Decimal("12.34"))]
    assert c["total"]["value"] == Decimal("8272.84") == \
        Decimal(world.inpatient.medfee_sumamt) / 100
    assert c["provider"]["identifier"]["value"] == HOSPITAL
    assert '"value":5200.50' in fhir.render(c)


def test_personal_data_is_masked(world: World) -> None:
    m = world.clinic.fam["张伟"]
    p = fhir.patient(world.clinic.app, OPERATOR, m.psn_no)
    text = fhir.render(p)
    assert m.certno not in text and "张伟" not in text and "13900000000" not in text
    assert p["name"] == [{"text": "张*"}]
    assert p["identifier"][1]["value"] == m.certno[:6] + "********" + m.certno[-4:]
    assert p["birthDate"] == "1990" and p["gender"] == "male"


def test_accounts_show_balances_and_quotas(world: World) -> None:
    app, fam = world.clinic.app, world.clinic.fam
    zw, lxy = fam["张伟"].psn_no, fam["李秀英"].psn_no
    own = fhir.account(app, OPERATOR, zw)
    ledger = wallet.get(app, OPERATOR, zw).personal_account
    assert own["extension"][0]["valueMoney"] == {"value": Decimal(ledger) / 100,
                                                 "currency": "CNY"}
    w = fhir.account(app, OPERATOR, f"{lxy}-wallet")
    quota = wallet.get(app, OPERATOR, lxy).quota_total
    assert quota == 100_00 - world.pharmacy.acct_mulaid_pay - world.away.acct_mulaid_pay
    assert w["extension"][0]["valueMoney"]["value"] == Decimal(quota) / 100
    parts = {e["url"]: e for e in w["extension"][1]["extension"]}
    assert parts["sponsor"]["valueReference"]["reference"] == f"Patient/{zw}"
    assert parts["relation"]["valueCode"] == "parent"
    with pytest.raises(GongjiError) as e:  # a resident has no personal account
        fhir.account(app, OPERATOR, lxy)
    assert e.value.code == "FHIR_RESOURCE_NOT_FOUND"


def test_reconciliation_is_the_clearing_statement(world: World) -> None:
    app = world.clinic.app
    pr = fhir.reconciliation(app, OPERATOR, "2026-11")
    lines = clearing.statement(app, OPERATOR, "2026-11")
    assert lines and pr["paymentAmount"]["value"] == \
        Decimal(sum(x.clearing_amt for x in lines)) / 100
    assert [(d["submitter"]["identifier"]["value"], d["payee"]["identifier"]["value"],
             d["amount"]["value"]) for d in pr["detail"]] == \
        [("411300", "510100", Decimal(world.away.medfee_sumamt - world.away.psn_cash_pay) / 100)]
    assert fhir.reconciliation(app, OPERATOR, "2026-10")["paymentAmount"]["value"] == 0


def test_the_same_authority_as_the_rest_api(world: World) -> None:
    app, fam = world.clinic.app, world.clinic.fam
    zw, lxy = fam["张伟"], fam["李秀英"]

    def code(fn, *args) -> str:  # type: ignore[no-untyped-def]
        with pytest.raises(GongjiError) as e:
            fn(app, *args)
        return e.value.code

    assert fhir.patient(app, zw.who, zw.psn_no)["id"] == zw.psn_no
    assert code(fhir.patient, zw.who, lxy.psn_no) == "FORBIDDEN"
    assert code(fhir.eob, zw.who, world.pharmacy.setl_id) == "FORBIDDEN"
    assert fhir.eob(app, lxy.who, world.pharmacy.setl_id)["id"] == world.pharmacy.setl_id
    pharmacy, hospital = Principal("institution", HENAN_PHARMACY), \
        Principal("institution", HOSPITAL)
    assert fhir.eob(app, pharmacy, world.pharmacy.setl_id)["id"] == world.pharmacy.setl_id
    assert code(fhir.eob, hospital, world.pharmacy.setl_id) == "FHIR_RESOURCE_NOT_FOUND"
    assert code(fhir.claim, hospital, world.pharmacy.mdtrt_id) == "FHIR_RESOURCE_NOT_FOUND"
    assert code(fhir.patient, hospital, zw.psn_no) == "FORBIDDEN"
    assert code(fhir.reconciliation, zw.who, "2026-11") == "FORBIDDEN"
    assert code(fhir.eob, OPERATOR, "S0000") == "FHIR_RESOURCE_NOT_FOUND"
    assert code(fhir.patient, OPERATOR, "P0000") == "FHIR_RESOURCE_NOT_FOUND"
    assert code(fhir.account, OPERATOR, f"{zw.psn_no}-other") == "FHIR_RESOURCE_NOT_FOUND"
