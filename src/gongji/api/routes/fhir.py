"""FHIR R4 read endpoints (/fhir/R4): translation only. The services build and validate each
resource (services/fhir.py); here the id is checked, the caller found (as for /api/v1: a bearer
token or an institution's signed request) and the resource written as application/fhir+json
with exact decimals. Refusals leave as an OperationOutcome with the project's error code in
issue.details and the same 4xx status (api/errors.py)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from gongji.api.deps import AnyCaller, Services
from gongji.domain.access import ANONYMOUS
from gongji.domain.dates import month_span
from gongji.domain.errors import GongjiError
from gongji.services.fhir import service as fhir

router = APIRouter(prefix="/fhir/R4", tags=["FHIR R4"])

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


class FhirResponse(Response):
    media_type = fhir.MEDIA_TYPE


def _resource(resource_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    ref = "http://hl7.org/fhir/R4/" + resource_type.lower() + ".html"
    return {200: {"description": f"{description} ({ref})",
                  "content": {fhir.MEDIA_TYPE: {"schema": {
                      "type": "object", "description": f"a FHIR R4 {resource_type}",
                      "properties": {"resourceType": {"type": "string",
                                                      "enum": [resource_type]}}}}}},
            "4XX": {"description": "OperationOutcome: issue.details.coding[0].code is the "
                                   "gongji error code",
                    "content": {fhir.MEDIA_TYPE: {"schema": {"type": "object"}}}}}


def _send(resource: dict[str, Any]) -> FhirResponse:
    return FhirResponse(fhir.render(resource))


def _id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise GongjiError("FHIR_ID_INVALID", id=value[:70])
    return value


@router.get("/metadata", response_class=FhirResponse, summary="CapabilityStatement",
            responses=_resource("CapabilityStatement", "What this server serves"))
def metadata(services: Services) -> Response:
    return _send(fhir.metadata(services, ANONYMOUS))


@router.get("/Patient/{psn_no}", response_class=FhirResponse, summary="A person (masked)",
            responses=_resource("Patient", "id = psn_no; ID number and name masked"))
async def read_patient(psn_no: str, who: AnyCaller, services: Services) -> Response:
    return _send(await run_in_threadpool(fhir.patient, services, who, _id(psn_no)))


@router.get("/Coverage/{enrollment_id}", response_class=FhirResponse,
            summary="An enrollment: scheme, insured region, period",
            responses=_resource("Coverage", "id = the enrollment's id"))
async def read_coverage(enrollment_id: str, who: AnyCaller, services: Services) -> Response:
    return _send(await run_in_threadpool(fhir.coverage, services, who, _id(enrollment_id)))


@router.get("/Coverage", response_class=FhirResponse, summary="A person's enrollments",
            responses=_resource("Bundle", "searchset of Coverage"))
async def search_coverage(
        who: AnyCaller, services: Services,
        beneficiary: Annotated[str, Query(max_length=100,
                                          description="Patient/{psn_no} or {psn_no}")]
) -> Response:
    psn_no = _id(beneficiary.removeprefix("Patient/"))
    return _send(await run_in_threadpool(fhir.coverages, services, who, psn_no))


@router.get("/Account/{account_id}", response_class=FhirResponse,
            summary="Personal account ({psn_no}) or wallet ({psn_no}-wallet)",
            responses=_resource("Account", "the balance and each quota in extensions"))
async def read_account(account_id: str, who: AnyCaller, services: Services) -> Response:
    return _send(await run_in_threadpool(fhir.account, services, who, _id(account_id)))


@router.get("/Claim/{mdtrt_id}", response_class=FhirResponse, summary="A visit's fee lines",
            responses=_resource("Claim", "id = mdtrt_id"))
async def read_claim(mdtrt_id: str, who: AnyCaller, services: Services) -> Response:
    return _send(await run_in_threadpool(fhir.claim, services, who, _id(mdtrt_id)))


@router.get("/ClaimResponse/{setl_id}", response_class=FhirResponse,
            summary="A settlement's adjudication",
            responses=_resource("ClaimResponse", "id = setl_id"))
async def read_claim_response(setl_id: str, who: AnyCaller, services: Services) -> Response:
    return _send(await run_in_threadpool(fhir.claim_response, services, who, _id(setl_id)))


@router.get("/ExplanationOfBenefit/{setl_id}", response_class=FhirResponse,
            summary="A settlement explained: every setlinfo amount",
            responses=_resource("ExplanationOfBenefit", "id = setl_id"))
async def read_eob(setl_id: str, who: AnyCaller, services: Services) -> Response:
    return _send(await run_in_threadpool(fhir.eob, services, who, _id(setl_id)))


@router.get("/ExplanationOfBenefit", response_class=FhirResponse,
            summary="A person's settlements, newest first",
            responses=_resource("Bundle", "searchset of ExplanationOfBenefit"))
async def search_eob(
        who: AnyCaller, services: Services,
        patient: Annotated[str, Query(max_length=100,
                                      description="Patient/{psn_no} or {psn_no}")],
        count: Annotated[int, Query(alias="_count", ge=1, le=200)] = 50) -> Response:
    psn_no = _id(patient.removeprefix("Patient/"))
    return _send(await run_in_threadpool(fhir.eobs, services, who, psn_no, count))


@router.get("/PaymentReconciliation/{month}", response_class=FhirResponse,
            summary="A month's clearing statement between regions (operators)",
            responses=_resource("PaymentReconciliation", "id = YYYY-MM"))
async def read_reconciliation(month: str, who: AnyCaller, services: Services) -> Response:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", month):
        raise GongjiError("FHIR_ID_INVALID", id=month[:70])
    month_span(month, "month")  # a month of the calendar window (domain/dates.py)
    return _send(await run_in_threadpool(fhir.reconciliation, services, who, month))


@router.get("/{resource_type}/{resource_id}", response_class=FhirResponse,
            summary="Any other resource type: not served", include_in_schema=False)
def unsupported(resource_type: str, resource_id: str) -> Response:
    raise GongjiError("FHIR_RESOURCE_UNSUPPORTED", resource=resource_type[:40])
