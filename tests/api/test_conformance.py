"""The conformance kit over HTTP and at the command line: an operator turns record mode on,
the gateway's trail is written (here by the door the gateway calls), and the report and the
masked requests are read back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gongji.api.app import create_app
from gongji.cli import app as cli
from gongji.config import Settings
from gongji.domain.clock import FixedClock, SystemClock
from gongji.services.conformance import service as conformance
from gongji.services.conformance.model import Observed
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.clinic import CLINIC, open_clinic
from tests.conftest import OPERATOR, table_counts
from tests.family import key, make_family
from tests.gateway.conftest import WALL, His

HIS = "H51010000001"
CERTNO = "110101199003071234"
OP = {"Authorization": "Bearer op"}


def register(app: Gongji) -> None:
    institutions.register(app, OPERATOR, key("i"),
                          institutions.RegisterInstitution(HIS, "成都共济医院", "3", "510100"))


def trail(app: Gongji, infno: str, n: int, *, refusal: tuple[str, str] | None = None,
          deviations: tuple[Observed, ...] = ()) -> None:
    """What the gateway route writes after answering a message."""
    msgid = f"{HIS}20261124100000{n:04d}"
    conformance.note(
        app, fixmedins_code=HIS, infno=infno, msgid=msgid,
        path="/fsi/api/rsfComIfsService/callService", scheme="gongji",
        deviations=deviations, refusal_code=refusal[0] if refusal else None,
        refusal_field=refusal[1] if refusal else None, infcode=-1 if refusal else 0,
        raw={"infno": infno, "msgid": msgid, "fixmedins_code": HIS, "input": {"data": {
            "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNO, "psn_name": "张伟",
            "medfee_sumamt": Decimal("100.10")}}})


@pytest.fixture
def client(app: Gongji, database: Database) -> Iterator[TestClient]:
    register(app)
    with TestClient(create_app(app, Settings(db=database.url, admin_token="op")),
                    raise_server_exceptions=False) as c:
        yield c


def put(c: TestClient, minutes: Any, key_: str | None = "rec-1", code: str = HIS) -> Any:
    headers = OP | ({"Idempotency-Key": key_} if key_ else {})
    return c.put(f"/api/v1/institutions/{code}/recording", json={"minutes": minutes},
                 headers=headers)


def test_turn_recording_on_and_read_the_report(client: TestClient, app: Gongji) -> None:
    r = put(client, 60)
    assert r.status_code == 200, r.text
    on = r.json()
    assert on["recording"] is True and on["until"].startswith("2026-11-24T11:00:00")
    again = put(client, 60)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == on
    tol = Observed("input.data.begntime", "时间带 T", "a datetime with T")
    trail(app, "1101", 1, deviations=(tol,))
    trail(app, "2207", 2, refusal=("GATEWAY_FIELD_INVALID", "input.setlinfo.acct_pay"))
    trail(app, "2207", 3)

    rep = client.get(f"/api/v1/institutions/{HIS}/conformance", headers=OP)
    assert rep.status_code == 200, rep.text
    body = rep.json()
    assert (body["sent"], body["ok"], body["refused"]) == (3, 2, 1)
    assert body["recording_until"] == on["until"]
    by = {t["infno"]: t for t in body["transactions"]}
    assert by["1101"]["tolerances"] == [{"field": "input.data.begntime", "message": "时间带 T",
                                         "message_en": "a datetime with T", "count": 1}]
    (refusal,) = by["2207"]["refusals"]
    assert refusal["code"] == "GATEWAY_FIELD_INVALID" and refusal["count"] == 1
    assert "input.setlinfo.acct_pay" in refusal["message"]
    assert "input.setlinfo.acct_pay" in refusal["message_en"]
    assert (by["2207"]["sent"], by["2207"]["ok"]) == (2, 1)

    later = client.get(f"/api/v1/institutions/{HIS}/conformance", headers=OP,
                       params={"since": "2026-11-24T10:00:01+08:00"})
    assert later.status_code == 200 and later.json()["sent"] == 0
    naive = client.get(f"/api/v1/institutions/{HIS}/conformance", headers=OP,
                       params={"since": "2026-11-24T10:00:01"})
    assert naive.status_code == 422


def test_recorded_messages_are_masked(client: TestClient, app: Gongji) -> None:
    assert put(client, 5).status_code == 200
    trail(app, "1101", 1)
    trail(app, "2201", 2, refusal=("PERSON_NOT_FOUND", "input.data.psn_no"))
    r = client.get(f"/api/v1/institutions/{HIS}/recorded-messages", headers=OP,
                   params={"limit": 1})
    assert r.status_code == 200, r.text
    assert CERTNO not in r.text and "张伟" not in r.text
    (m,) = r.json()
    assert (m["infno"], m["infcode"], m["refusal"]["code"]) == ("2201", -1, "PERSON_NOT_FOUND")
    assert m["truncated"] is False and m["scheme"] == "gongji"
    raw = json.loads(m["raw"], parse_float=Decimal)
    assert raw["input"]["data"]["mdtrt_cert_no"] == "110101********1234"
    assert raw["input"]["data"]["psn_name"] == "张*"
    assert '"medfee_sumamt":100.10' in m["raw"]
    both = client.get(f"/api/v1/institutions/{HIS}/recorded-messages", headers=OP).json()
    assert [x["infno"] for x in both] == ["2201", "1101"]


def test_refusals(client: TestClient, database: Database) -> None:
    before = table_counts(database)
    assert put(client, 60, key_=None).json()["code"] == "IDEMPOTENCY_KEY_MISSING"
    bad = put(client, 10081, key_="rec-2")
    assert bad.status_code == 422 and bad.json()["code"] == "RECORDING_MINUTES_INVALID"
    assert "10081" in bad.json()["message"] and "10081" in bad.json()["message_en"]
    assert put(client, 5, key_="rec-3", code="H99999999999").status_code == 404
    assert put(client, "soon", key_="rec-4").status_code == 422
    assert client.put(f"/api/v1/institutions/{HIS}/recording", json={"minutes": 5},
                      headers={"Idempotency-Key": "rec-5"}).status_code == 401
    assert client.get(f"/api/v1/institutions/{HIS}/conformance").status_code == 401
    assert client.get(f"/api/v1/institutions/{HIS}/recorded-messages", headers=OP,
                      params={"limit": 0}).status_code == 422
    assert table_counts(database) == before
    off = put(client, 0, key_="rec-6")
    assert off.status_code == 200 and off.json()["recording"] is False
    assert off.json()["until"] is None


def test_the_command_line(db_url: str) -> None:
    """record, report, messages and --off against a database, at the real clock (the CLI
    opens the services itself)."""
    database = Database(db_url)
    try:
        app = Gongji(database, SystemClock())
        register(app)
        runner = CliRunner()
        assert runner.invoke(cli, ["conformance", "record", HIS, "--db", db_url]).exit_code == 2
        r = runner.invoke(cli, ["conformance", "record", HIS, "--minutes", "60", "--db", db_url])
        assert r.exit_code == 0 and "recording until" in r.output, r.output
        trail(app, "1101", 1, deviations=(Observed("input.data.begntime", "时间带 T",
                                                   "a datetime with T"),))
        trail(app, "2207", 2, refusal=("GATEWAY_FIELD_INVALID", "input.setlinfo.acct_pay"))
        r = runner.invoke(cli, ["conformance", "report", HIS, "--db", db_url])
        assert r.exit_code == 0, r.output
        assert "2 message(s): 1 answered, 1 refused" in r.output
        assert "GATEWAY_FIELD_INVALID" in r.output and "input.setlinfo.acct_pay" in r.output
        assert "a datetime with T" in r.output and "时间带 T" in r.output
        r = runner.invoke(cli, ["conformance", "messages", HIS, "--limit", "5", "--db", db_url])
        assert r.exit_code == 0, r.output
        assert "110101********1234" in r.output and CERTNO not in r.output
        assert '"medfee_sumamt": 100.10' in r.output and "2 message(s)" in r.output
        r = runner.invoke(cli, ["conformance", "record", HIS, "--minutes", "99999",
                                "--db", db_url])
        assert r.exit_code == 1 and "RECORDING_MINUTES_INVALID" in r.output
        r = runner.invoke(cli, ["conformance", "record", HIS, "--off", "--db", db_url])
        assert r.exit_code == 0 and "recording off" in r.output
        before = table_counts(database)
        trail(app, "1101", 3)
        assert table_counts(database) == before
        r = runner.invoke(cli, ["conformance", "--help"])
        assert r.exit_code == 0 and "record" in r.output and "messages" in r.output
    finally:
        database.dispose()


def test_through_the_gateway(database: Database, clock: FixedClock) -> None:
    """A signed HIS runs messages while record mode is on: the report names what the gateway
    tolerated and what it refused; a forged message, and any after recording stops, leave
    no trail."""
    clinic = open_clinic(make_family(Gongji(database, clock, wall=FixedClock(WALL))))
    settings = Settings(db=database.url, admin_token="op")
    with TestClient(create_app(clinic.app, settings), raise_server_exceptions=False) as c:
        his = His(c, clinic.app, CLINIC)
        his.sign_in()  # before recording: no trail
        assert put(c, 60, code=CLINIC).status_code == 200
        zw = clinic.fam["张伟"]
        as_text = json.dumps({"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": zw.certno}})
        first = his.call("1101", as_text, opter_type=1)  # input as JSON text, a numeric code
        assert first["infcode"] == 0, first
        refused = his.call("2201", {"data": {"insutype": "310", "mdtrt_cert_type": "02",
                                             "mdtrt_cert_no": zw.certno}})  # no psn_no
        assert refused["infcode"] == -1 and refused["err_code"] == "GATEWAY_FIELD_INVALID"
        his.send(his.envelope("1101", {"data": {}}), signed=False)  # nobody: no trail

        rep = c.get(f"/api/v1/institutions/{CLINIC}/conformance", headers=OP).json()
        by = {t["infno"]: t for t in rep["transactions"]}
        assert (rep["sent"], set(by)) == (2, {"1101", "2201"})
        assert {t["field"] for t in by["1101"]["tolerances"]} == {
            "envelope.input", "envelope.opter_type"}
        (why,) = by["2201"]["refusals"]
        assert why["code"] == "GATEWAY_FIELD_INVALID" and why["field"].startswith("input.data")
        assert why["field"] in why["message"] and why["field"] in why["message_en"]

        recorded = c.get(f"/api/v1/institutions/{CLINIC}/recorded-messages", headers=OP)
        assert len(recorded.json()) == 2
        assert zw.certno not in recorded.text and zw.name not in recorded.text

        assert put(c, 0, key_="rec-off", code=CLINIC).status_code == 200
        assert his.call("1101", as_text)["infcode"] == 0
        again = c.get(f"/api/v1/institutions/{CLINIC}/recorded-messages", headers=OP).json()
        assert len(again) == 2
