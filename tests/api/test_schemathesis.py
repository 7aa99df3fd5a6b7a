"""Schemathesis over the whole OpenAPI, as an operator and as nobody: never a 5xx, every 4xx
carries the error body with a stable code and both languages, and a refused request writes
nothing. Bounded: a few examples per operation (GONGJI_FUZZ_EXAMPLES raises it)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.services.runtime import Gongji
from tests.conftest import table_counts

EXAMPLES = int(os.environ.get("GONGJI_FUZZ_EXAMPLES", "6"))
TOKEN = "fuzz-operator-token"


@pytest.fixture
def fuzzed_app(app: Gongji, db_url: str) -> Any:
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the HTTP contract")
    api = create_app(app, Settings(db=db_url, admin_token=TOKEN))
    api.state.fuzz_services = app
    return api


def test_no_server_error_and_refusals_write_nothing(fuzzed_app: Any) -> None:
    """Each operation of the OpenAPI in turn, its cases drawn by schemathesis (driven here
    rather than through its pytest plugin, which reaches into pytest's internals)."""
    services: Gongji = fuzzed_app.state.fuzz_services
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 90

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def one(case: Any) -> None:
            for caller, headers in (("anonymous", {}),
                                    ("operator", {"Authorization": f"Bearer {TOKEN}"})):
                before = table_counts(services.db)
                response = case.call(headers=headers)
                status = response.status_code
                where = f"{case.method} {case.formatted_path} as {caller}"
                assert status < 500, f"{where}: {status} {response.text[:500]}"
                if 400 <= status < 500:
                    code, zh, en = refusal(response.json())
                    assert code and zh and en, f"{where}: {response.text[:300]}"
                    assert table_counts(services.db) == before, \
                        f"{where}: refused {status} but wrote"

        one()


def refusal(body: Any) -> tuple[str, str, str]:
    """(code, Chinese, English) of an error body: gongji's own, or under /fhir/ an
    OperationOutcome carrying the same in its issue."""
    if not isinstance(body, dict):
        return "", "", ""
    if body.get("resourceType") == "OperationOutcome":
        issue = (body.get("issue") or [{}])[0]
        details = issue.get("details") or {}
        coding = (details.get("coding") or [{}])[0]
        return coding.get("code", ""), details.get("text", ""), issue.get("diagnostics", "")
    return body.get("code", ""), body.get("message", ""), body.get("message_en", "")
