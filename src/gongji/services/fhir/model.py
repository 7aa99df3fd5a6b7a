"""What FHIR speaks here: the version, the media type, our code and identifier systems, the
resource types served and how, and which setlinfo amount is which adjudication. Resources
themselves are plain dicts (Json), validated by fhir.resources' R4B models in service.py."""

from __future__ import annotations

from typing import Any

from gongji.domain.settlement import SETLINFO_AMOUNTS, SETLINFO_LABELS

FHIR_VERSION = "4.0.1"
"""What /fhir/R4 speaks. The models are fhir.resources' R4B package: for every element used
here R4B and R4 agree (docs/FHIR.md)."""
MEDIA_TYPE = "application/fhir+json"
NS = "urn:gongji:"
"""Our code systems and identifier systems: urn:gongji:psn_no, urn:gongji:admdvs, ..."""
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
EXT_BALANCE = f"{NS}extension:balance"
EXT_QUOTA = f"{NS}extension:wallet-quota"
CURRENCY = "CNY"

RESOURCE_TYPES = ("Patient", "Coverage", "Account", "Claim", "ClaimResponse",
                  "ExplanationOfBenefit", "PaymentReconciliation", "CapabilityStatement",
                  "OperationOutcome", "Bundle")

INSUTYPE_NAMES = {"310": "职工基本医疗保险 employee basic medical insurance",
                  "390": "城乡居民基本医疗保险 resident basic medical insurance"}
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
               409: "conflict", 422: "invalid", 429: "throttled"}

Json = dict[str, Any]

STANDARD = {"medfee_sumamt": "submitted", "inscp_scp_amt": "eligible",
            "act_pay_dedc": "deductible", "fund_pay_sumamt": "benefit"}
"""The setlinfo amounts that have a code of FHIR's own adjudication system."""
TOTALS = tuple(
    (name, ADJUDICATION, STANDARD[name], f"{SETLINFO_LABELS[name].zh} {name}")
    if name in STANDARD else
    (name, NS + "setlinfo", name, f"{SETLINFO_LABELS[name].zh} {SETLINFO_LABELS[name].en}")
    for name in SETLINFO_AMOUNTS)
"""(setlinfo field, code system, category code, display): every amount of the setlinfo."""

SERVED = {
    "Patient": ("read",), "Coverage": ("read", "search-type"), "Account": ("read",),
    "Claim": ("read",), "ClaimResponse": ("read",),
    "ExplanationOfBenefit": ("read", "search-type"), "PaymentReconciliation": ("read",),
}
SEARCH = {"Coverage": [("beneficiary", "reference")],
          "ExplanationOfBenefit": [("patient", "reference")]}
