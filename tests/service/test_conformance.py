"""The conformance kit on SQLite and PostgreSQL: record mode decides whether a gateway message
leaves a trail (to the second), what is stored is masked and capped, the report counts what
was recorded, and only operators turn it on or read it."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from gongji.domain.access import Principal
from gongji.domain.clock import FixedClock
from gongji.services import door
from gongji.services.conformance import service as conformance
from gongji.services.conformance import store as conformance_store
from gongji.services.conformance.model import RAW_MAX_BYTES, Observed
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from gongji.store.tables import conformance_messages
from tests.conftest import OPERATOR, refused, table_counts
from tests.family import key

HIS = "H51010000001"
OTHER = "H51010000002"
CERTNO = "110101199003071234"
PHONE = "13812345678"
PATH = "/fsi/api/rsfComIfsService/callService"
NAIVE = datetime.fromisoformat("2026-11-24T10:00:00")
"""A moment without a zone: refused (business time carries one)."""


@pytest.fixture
def kit(app: Gongji) -> Gongji:
    for code, name in ((HIS, "成都共济医院"), (OTHER, "社区卫生服务中心")):
        institutions.register(app, OPERATOR, key("i"),
                              institutions.RegisterInstitution(code, name, "3", "510100"))
    return app


def envelope(infno: str, input_: Any, n: int = 1) -> dict[str, Any]:
    return {"infno": infno, "msgid": f"{HIS}20261124100000{n:04d}", "opter_type": "1",
            "opter": "001", "opter_name": "刘晓明", "inf_time": "2026-11-24 10:00:00",
            "fixmedins_code": HIS, "sign_no": "S1", "input": input_}


PERSONAL = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNO, "psn_name": "张伟",
                     "tel": PHONE, "memo": f"身份证{CERTNO}，电话 {PHONE}",
                     "medfee_sumamt": Decimal("12.30"), "cnt": Decimal("1.0000")}}


def note(app: Gongji, infno: str | None = "1101", *, code: str | None = HIS, infcode: int = 0,
         refusal: tuple[str, str | None] | None = None, deviations: tuple[Observed, ...] = (),
         raw: Any = None, n: int = 1) -> None:
    conformance.note(
        app, fixmedins_code=code, infno=infno, msgid=f"{HIS}20261124100000{n:04d}",
        path=PATH, scheme="gongji", deviations=deviations,
        refusal_code=refusal[0] if refusal else None,
        refusal_field=refusal[1] if refusal else None, infcode=infcode,
        raw=raw if raw is not None else envelope(infno or "????", PERSONAL, n))


def stored(database: Database) -> list[str]:
    with database.engine.connect() as conn:
        return [r.raw or "" for r in conn.execute(select(conformance_messages.c.raw))]


def test_record_mode_off_writes_nothing(kit: Gongji, database: Database) -> None:
    before = table_counts(database)
    note(kit)  # never turned on
    note(kit, infcode=-1, refusal=("GATEWAY_FIELD_INVALID", "input.data.psn_no"))
    note(kit, code=None)  # not authenticated: nobody to record for
    assert table_counts(database) == before
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=30)
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=0)  # and off again
    before = table_counts(database)
    note(kit)
    assert table_counts(database) == before
    assert conformance.messages(kit, OPERATOR, HIS) == []


def test_recording_is_per_institution(kit: Gongji, database: Database) -> None:
    conformance.record(kit, OPERATOR, key("r"), OTHER, minutes=30)
    before = table_counts(database)
    note(kit)  # HIS is not recording
    assert table_counts(database) == before
    note(kit, code=OTHER)
    assert len(conformance.messages(kit, OPERATOR, OTHER)) == 1
    assert conformance.messages(kit, OPERATOR, HIS) == []


def test_recorded_requests_are_masked_and_keep_exact_digits(kit: Gongji,
                                                           database: Database) -> None:
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=60)
    raw = envelope("1101", PERSONAL) | {"extra": {"idcard": int(CERTNO), "psn_tel": PHONE,
                                                   "live_addr": "四川省成都市武侯区人民南路4段1号"}}
    note(kit, raw=raw)
    (text,) = stored(database)
    for secret in (CERTNO, "张伟", "刘晓明", PHONE, "人民南路"):
        assert secret not in text, secret
    assert "1990" not in text  # the birth date inside the ID number
    assert "110101********1234" in text and "张*" in text and "138****5678" in text
    (m,) = conformance.messages(kit, OPERATOR, HIS)
    assert m.raw == text and not m.truncated and m.raw_bytes == len(text.encode())
    assert '"medfee_sumamt":12.30' in text and '"cnt":1.0000' in text  # as sent, no float
    body = json.loads(text, parse_float=Decimal)
    assert body["input"]["data"]["medfee_sumamt"] == Decimal("12.30")
    assert body["msgid"] == f"{HIS}202611241000000001"  # a long run of digits is no ID
    assert (m.infno, m.msgid, m.path, m.scheme, m.infcode) == (
        "1101", f"{HIS}202611241000000001", PATH, "gongji", 0)


def test_refusals_and_tolerances_are_stored_masked(kit: Gongji) -> None:
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=60)
    conformance.note(
        kit, fixmedins_code=HIS, infno="2201", msgid=None, path=PATH, scheme="tif",
        deviations=[Observed("input.data.begntime", f"{CERTNO} 时间带 T", "time with T")],
        refusal_code="PERSON_NOT_FOUND", refusal_field=None, infcode=-1, raw=None,
        refusal_zh=f"参保人不存在：{CERTNO}", refusal_en=f"No person with {CERTNO}")
    (m,) = conformance.messages(kit, OPERATOR, HIS)
    assert m.raw is None and m.refusal_code == "PERSON_NOT_FOUND"
    assert CERTNO not in (m.refusal_zh or "") + (m.refusal_en or "") + m.deviations[0].zh
    assert "110101********1234" in (m.refusal_en or "")
    # without the rendered message, the code's template names the field
    conformance.note(kit, fixmedins_code=HIS, infno="2201", msgid=None, path=PATH,
                     scheme="gongji", deviations=[], refusal_code="GATEWAY_FIELD_INVALID",
                     refusal_field="input.data.psn_no", infcode=-1, raw=None)
    newest = conformance.messages(kit, OPERATOR, HIS, limit=1)[0]
    assert newest.refusal_zh is not None and "input.data.psn_no" in newest.refusal_zh
    assert newest.refusal_en is not None and "input.data.psn_no" in newest.refusal_en


def test_report_counts_what_was_recorded(kit: Gongji, clock: FixedClock) -> None:
    start = clock.now()
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=60)
    t_dt = Observed("input.data.begntime", "时间带 T", "a datetime with T")
    t_str = Observed("input.feedetail[0].cnt", "数量为字符串", "a count as a string")
    note(kit, "9001", n=1)
    note(kit, "1101", n=2, deviations=(t_dt,))
    note(kit, "1101", n=3, deviations=(t_dt, t_dt))
    for n in (4, 5):
        note(kit, "2204", n=n, infcode=-1, deviations=(t_str,),
             refusal=("GATEWAY_FIELD_INVALID", "input.feedetail[0].pric"))
    note(kit, "2204", n=6, infcode=-1, refusal=("VISIT_NOT_FOUND", None))
    note(kit, "2204", n=7)
    note(kit, None, n=8, infcode=-1, refusal=("GATEWAY_BODY_INVALID", None))
    note(kit, "1101", code=OTHER, n=9)  # another institution's: not in this report

    r = conformance.report(kit, OPERATOR, HIS)
    assert (r.sent, r.ok, r.refused) == (8, 4, 4)
    assert r.recording_until == start + timedelta(minutes=60)
    by = {t.infno: t for t in r.transactions}
    assert [t.infno for t in r.transactions] == ["1101", "2204", "9001", None]
    assert (by["9001"].sent, by["9001"].ok, by["9001"].refusals, by["9001"].tolerances) == (
        1, 1, (), ())
    assert (by["1101"].sent, by["1101"].ok, by["1101"].refused) == (2, 2, 0)
    ((tol,),) = (by["1101"].tolerances,)
    assert (tol.field, tol.en, tol.count) == ("input.data.begntime", "a datetime with T", 3)
    x = by["2204"]
    assert (x.sent, x.ok, x.refused) == (4, 1, 3)
    assert [(f.code, f.field, f.count) for f in x.refusals] == [
        ("GATEWAY_FIELD_INVALID", "input.feedetail[0].pric", 2), ("VISIT_NOT_FOUND", None, 1)]
    assert "input.feedetail[0].pric" in x.refusals[0].zh
    assert "input.feedetail[0].pric" in x.refusals[0].en
    assert [(t.field, t.zh, t.count) for t in x.tolerances] == [
        ("input.feedetail[0].cnt", "数量为字符串", 2)]
    assert (by[None].sent, by[None].refused, by[None].refusals[0].code) == (
        1, 1, "GATEWAY_BODY_INVALID")

    clock.advance(timedelta(minutes=5))
    note(kit, "2207", n=10)
    later = conformance.report(kit, OPERATOR, HIS, since=start + timedelta(minutes=1))
    assert [(t.infno, t.sent) for t in later.transactions] == [("2207", 1)]


def test_recording_ends_at_the_second(kit: Gongji, database: Database,
                                      clock: FixedClock) -> None:
    r = conformance.record(kit, OPERATOR, key("r"), HIS, minutes=10).value
    assert r.until == clock.now() + timedelta(minutes=10)
    clock.set(r.until - timedelta(seconds=1))
    note(kit, n=1)
    assert len(conformance.messages(kit, OPERATOR, HIS)) == 1
    assert conformance.report(kit, OPERATOR, HIS).recording_until == r.until
    clock.set(r.until)
    before = table_counts(database)
    note(kit, n=2)
    assert table_counts(database) == before
    assert conformance.report(kit, OPERATOR, HIS).recording_until is None


def test_only_operators(kit: Gongji, database: Database) -> None:
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=10)
    note(kit)
    for who in (Principal("person", "P01"), Principal("institution", HIS),
                Principal("anonymous", "-")):
        refused(database, "FORBIDDEN",
                lambda who=who: conformance.record(kit, who, key("r"), HIS, minutes=10))
        refused(database, "FORBIDDEN", lambda who=who: conformance.report(kit, who, HIS))
        refused(database, "FORBIDDEN", lambda who=who: conformance.messages(kit, who, HIS))


def test_bad_requests_are_refused_and_write_nothing(kit: Gongji, database: Database) -> None:
    for minutes in (-1, 10081, True):
        refused(database, "RECORDING_MINUTES_INVALID",
                lambda m=minutes: conformance.record(kit, OPERATOR, key("r"), HIS, minutes=m))
    refused(database, "INSTITUTION_NOT_FOUND",
            lambda: conformance.record(kit, OPERATOR, key("r"), "H99999999999", minutes=5))
    refused(database, "INSTITUTION_NOT_FOUND",
            lambda: conformance.report(kit, OPERATOR, "H99999999999"))
    refused(database, "VALIDATION_ERROR",
            lambda: conformance.report(kit, OPERATOR, HIS, since=NAIVE))
    for limit in (0, 201):
        refused(database, "VALIDATION_ERROR",
                lambda n=limit: conformance.messages(kit, OPERATOR, HIS, limit=n))
    assert conformance.record(kit, OPERATOR, key("r"), HIS, minutes=10080).value.until


def test_record_is_idempotent_by_its_key(kit: Gongji, database: Database,
                                         clock: FixedClock) -> None:
    first = conformance.record(kit, OPERATOR, "rec-1", HIS, minutes=30)
    assert not first.replayed
    clock.advance(timedelta(minutes=3))
    before = table_counts(database)
    again = conformance.record(kit, OPERATOR, "rec-1", HIS, minutes=30)
    assert again.replayed and again.value == first.value  # the first until, not a new one
    assert table_counts(database) == before
    refused(database, "IDEMPOTENCY_CONFLICT",
            lambda: conformance.record(kit, OPERATOR, "rec-1", HIS, minutes=60))


def test_old_rows_are_pruned_as_rows_are_written(kit: Gongji, clock: FixedClock) -> None:
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=10080)
    note(kit, n=1)
    clock.advance(timedelta(days=6))
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=10080)
    note(kit, n=2)
    clock.advance(timedelta(days=1))  # the first is exactly 7 days old: kept
    note(kit, n=3)
    assert len(conformance.messages(kit, OPERATOR, HIS)) == 3
    clock.advance(timedelta(seconds=1))
    note(kit, n=4)
    assert [m.msgid[-4:] for m in conformance.messages(kit, OPERATOR, HIS)  # type: ignore[index]
            ] == ["0004", "0003", "0002"]


def test_a_large_request_is_cut_with_a_marker(kit: Gongji, database: Database) -> None:
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=10)
    lines = [{"feedetl_sn": str(i), "memo": f"{CERTNO} 第{i}行", "det_item_fee_sumamt":
              Decimal("1.00")} for i in range(3000)]
    note(kit, raw=envelope("2204", {"feedetail": lines}) | {"blob": "Q" * 100_000})
    (m,) = conformance.messages(kit, OPERATOR, HIS)
    assert m.truncated and m.raw_bytes > RAW_MAX_BYTES
    assert m.raw is not None and m.raw.endswith("bytes in all]")
    assert len(m.raw.encode()) < RAW_MAX_BYTES + 100
    assert CERTNO not in stored(database)[0]


def test_the_trail_never_raises_nor_logs_personal_data(
        kit: Gongji, database: Database, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    conformance.record(kit, OPERATOR, key("r"), HIS, minutes=10)

    def down(*_a: Any, **_k: Any) -> None:
        raise OperationalError("INSERT", {"raw": CERTNO}, Exception(CERTNO))

    monkeypatch.setattr(conformance_store, "add", down)
    before = table_counts(database)
    logger = logging.getLogger("gongji.conformance")
    logger.addHandler(caplog.handler)  # whatever the process's logging setup propagates
    try:
        with caplog.at_level(logging.ERROR, logger="gongji.conformance"):
            note(kit)  # no exception: the gateway's answer stands
    finally:
        logger.removeHandler(caplog.handler)
    assert table_counts(database) == before
    assert "OperationalError" in caplog.text and CERTNO not in caplog.text


def test_note_is_a_trail_door(kit: Gongji) -> None:
    with door.request("a gateway message") as calls:
        note(kit)
    assert [(c.name, c.trail, c.auth, c.refused) for c in calls] == [
        ("conformance.service.note", True, False, False)]
