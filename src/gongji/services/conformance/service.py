"""The conformance kit: record mode per institution, the trail of each message the gateway
answered while it is on (masked), and the report a vendor reads per infno."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from gongji import exactjson
from gongji.domain.access import SYSTEM, Principal
from gongji.domain.clock import UTC, aware
from gongji.domain.errors import ERRORS, GongjiError, render
from gongji.domain.ids import new_id
from gongji.domain.privacy import mask_certno, mask_name, mask_phone, scrub
from gongji.services.access import require_operator
from gongji.services.conformance import store
from gongji.services.conformance.model import (
    KEEP_DAYS,
    RAW_MAX_BYTES,
    RECORD_MAX_MINUTES,
    ConformanceReport,
    InfnoReport,
    Observed,
    RecordedMessage,
    Recording,
    Refusal,
    Tolerance,
)
from gongji.services.door import door
from gongji.services.institutions.service import get_in
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import UnitOfWork

log = logging.getLogger("gongji.conformance")

MAX_LIMIT = 200


@door
def record(app: Gongji, who: Principal, key: Key, fixmedins_code: str, *,
           minutes: int) -> Written[Recording]:
    """Record the institution's messages from now for `minutes` (0: stop now)."""
    require_operator(who)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or \
            not 0 <= minutes <= RECORD_MAX_MINUTES:
        raise GongjiError("RECORDING_MINUTES_INVALID", minutes=minutes)

    def run(uow: UnitOfWork) -> Recording:
        inst = get_in(uow, fixmedins_code)
        code = inst.fixmedins_code
        until = uow.now + timedelta(minutes=minutes)
        store.set_until(uow.conn, inst.admdvs, code, until=until, by=who.scope, at=uow.now)
        uow.record("conformance.record", subject=code,
                   detail={"minutes": minutes, "until": until.isoformat()})
        return Recording(code, until if minutes else None, uow.now)

    return app.write(who, key=key, operation="conformance.record",
                     request={"fixmedins_code": fixmedins_code, "minutes": minutes}, fn=run,
                     result_type=Recording)


@door(trail=True)
def note(app: Gongji, *, fixmedins_code: str | None, infno: str | None, msgid: str | None,
         path: str, scheme: str, deviations: Sequence[Observed], refusal_code: str | None,
         refusal_field: str | None, infcode: int, raw: Any | None,
         refusal_zh: str | None = None, refusal_en: str | None = None) -> None:
    """The trail of one gateway message, written after its answer was made: a row while
    record mode is on for the (authenticated) institution, nothing otherwise. Never raises:
    the trail must not change the answer, so a failure is logged and dropped."""
    if not fixmedins_code:
        return
    try:
        at = app.clock.now()
        if not _recording(app.read_conn(lambda c: store.until(c, fixmedins_code)), at):
            return  # the usual case: one primary-key read, no write transaction
        text, size = masked_json(raw) if raw is not None else (None, 0)
        zh, en = _refusal_text(refusal_code, refusal_field, refusal_zh, refusal_en)
        row = store.NewMessage(
            id=new_id(), fixmedins_code=fixmedins_code[:12], infno=_clip(infno, 4),
            msgid=_clip(msgid, 30), path=_clip(path, 200) or "", scheme=_clip(scheme, 20) or "",
            infcode=int(infcode), refusal_code=_clip(refusal_code, 40),
            refusal_field=_clip(_text(refusal_field), 200) if refusal_field else None,
            refusal_zh=zh, refusal_en=en,
            deviations=tuple(Observed(_text(d.field)[:200], _text(d.zh), _text(d.en))
                             for d in list(deviations)[:200]),
            raw=text, raw_bytes=size, received_at=at)
        app.transact(SYSTEM, lambda uow: _write(uow, row))
    except Exception as e:  # the trail decides nothing: log without values, answer as usual
        log.error("conformance trail not written for %s: %s", fixmedins_code,
                  e.__class__.__name__)


def _write(uow: UnitOfWork, row: store.NewMessage) -> None:
    # checked again in the writing transaction: an operator may have stopped it meanwhile
    if not _recording(store.until(uow.conn, row.fixmedins_code), row.received_at):
        return
    store.add(uow.conn, row, admdvs=get_in(uow, row.fixmedins_code).admdvs)
    store.prune(uow.conn, before=row.received_at - timedelta(days=KEEP_DAYS))


def _recording(until: datetime | None, at: datetime) -> bool:
    return until is not None and at < until


def _clip(value: object, size: int) -> str | None:
    return None if value is None else str(value)[:size]


def _refusal_text(code: str | None, field: str | None, zh: str | None, en: str | None
                  ) -> tuple[str | None, str | None]:
    """The refusal as the HIS read it (masked); from the code's template when not given."""
    if code is None:
        return None, None
    spec = ERRORS.get(code)
    if zh is None:
        zh = _PARAM.sub("…", render(spec.zh, {"field": field})) if spec else code
    if en is None:
        en = _PARAM.sub("…", render(spec.en, {"field": field}, "en")) if spec else code
    return _text(zh), _text(en)


_PARAM = re.compile(r"\{\w+\}")
"""A template's parameter the trail was not given (shown as …, not as {reason})."""


@door
def report(app: Gongji, who: Principal, fixmedins_code: str, *,
           since: datetime | None = None) -> ConformanceReport:
    """Per infno: messages sent, answered, refused (by code and field), and the tolerances
    taken (by field), from the messages recorded since `since` (all kept ones by default)."""
    require_operator(who)
    if since is not None:
        try:  # a zone, and a moment a database can hold (not year 1 moved by its zone)
            since = aware(since)
            since.astimezone(UTC)
        except (ValueError, OverflowError):
            raise GongjiError("VALIDATION_ERROR", fields="since") from None

    def run(uow: UnitOfWork) -> ConformanceReport:
        code = get_in(uow, fixmedins_code).fixmedins_code
        until = store.until(uow.conn, code)
        return ConformanceReport(
            fixmedins_code=code, since=since, at=uow.now,
            recording_until=until if _recording(until, uow.now) else None,
            transactions=_by_infno(store.outcomes(uow.conn, code, since=since)))

    return app.read(run, principal=who)


@door
def messages(app: Gongji, who: Principal, fixmedins_code: str, *,
             limit: int = 50) -> list[RecordedMessage]:
    """The recorded requests (masked), newest first."""
    require_operator(who)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise GongjiError("VALIDATION_ERROR", fields="limit")

    def run(uow: UnitOfWork) -> list[RecordedMessage]:
        return store.recent(uow.conn, get_in(uow, fixmedins_code).fixmedins_code, limit=limit)

    return app.read(run, principal=who)


# -- the report ---------------------------------------------------------------------------------

@dataclass
class _Tally:
    sent: int = 0
    ok: int = 0
    refused: int = 0
    refusals: dict[tuple[str, str | None], tuple[str, str, int]] = field(default_factory=dict)
    tolerances: dict[tuple[str, str, str], int] = field(default_factory=dict)


def _by_infno(rows: list[store.Outcome]) -> tuple[InfnoReport, ...]:
    tallies: dict[str | None, _Tally] = {}
    for o in rows:  # oldest first: a refusal's message is its latest one
        t = tallies.setdefault(o.infno, _Tally())
        t.sent += 1
        if o.infcode == 0:
            t.ok += 1
        else:
            t.refused += 1
        if o.refusal_code is not None:
            k = (o.refusal_code, o.refusal_field)
            n = t.refusals[k][2] if k in t.refusals else 0
            t.refusals[k] = (o.refusal_zh or "", o.refusal_en or "", n + 1)
        for d in o.deviations:
            dk = (d.field, d.zh, d.en)
            t.tolerances[dk] = t.tolerances.get(dk, 0) + 1
    return tuple(InfnoReport(
        infno=infno, sent=t.sent, ok=t.ok, refused=t.refused,
        refusals=tuple(sorted((Refusal(c, f, zh, en, n)
                               for (c, f), (zh, en, n) in t.refusals.items()),
                              key=lambda r: (-r.count, r.code, r.field or ""))),
        tolerances=tuple(sorted((Tolerance(f, zh, en, n)
                                 for (f, zh, en), n in t.tolerances.items()),
                                key=lambda x: (-x.count, x.field, x.en))))
        for infno, t in sorted(tallies.items(), key=lambda kv: (kv[0] is None, kv[0] or "")))


# -- masking a request before it is stored --------------------------------------------------

_ID18 = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])"
                   r"(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9])")
"""An 18-character resident ID anywhere in a string (letters around it too), by its shape:
region, a birth date, sequence, check character."""
_CERT_KEYS = frozenset({"certno", "mdtrt_cert_no", "psn_cert_no", "idcard", "id_card",
                        "cert_no", "idno", "id_no", "card_no", "psn_idetnum"})
_CERT_ENDS = ("certno", "cert_no", "idcard", "id_card", "idno")
_NAME_KEYS = frozenset({"name", "psn_name", "patn_name", "opter_name", "coner_name",
                        "agnter_name", "dr_name", "fulname", "full_name"})
_NAME_ENDS = ("psn_name", "patn_name", "dr_name", "coner_name", "agnter_name")
_PHONE_KEYS = frozenset({"tel", "mob", "mobile", "phone", "telephone"})
_PHONE_ENDS = ("_tel", "_mob", "_mobile", "phone")
_ADDR_ENDS = ("addr", "address")
LIST_KEEP = 1000
"""Items of an array kept (a 9101 upload as an array of bytes would be megabytes)."""
TEXT_KEEP = 4096
"""Characters of a string kept (a base64 file content)."""


def masked_json(raw: Any) -> tuple[str, int]:
    """The request as JSON text with personal data masked (exact digits kept), cut at
    RAW_MAX_BYTES with a marker; and the size of the whole masked text."""
    text = exactjson.dumps(_mask(raw, None), lenient=True)
    data = text.encode()
    if len(data) <= RAW_MAX_BYTES:
        return text, len(data)
    kept = data[:RAW_MAX_BYTES].decode(errors="ignore")
    return f"{kept}…[cut: {len(data)} bytes in all]", len(data)


def _kind(key: str | None) -> str | None:
    if key is None:
        return None
    k = key.lower()
    if k in _CERT_KEYS or k.endswith(_CERT_ENDS):
        return "certno"
    if k in _NAME_KEYS or k.endswith(_NAME_ENDS):
        return "name"
    if k in _PHONE_KEYS or k.endswith(_PHONE_ENDS):
        return "phone"
    if k.endswith(_ADDR_ENDS):
        return "addr"
    return None


def _mask(value: Any, key: str | None) -> Any:
    if isinstance(value, dict):
        return {_text(str(k)): _mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        kept = [_mask(v, key) for v in value[:LIST_KEEP]]
        if len(value) > LIST_KEEP:
            kept.append(f"…({len(value) - LIST_KEEP} more items)")
        return kept
    if value is None or isinstance(value, bool):
        return value
    kind = _kind(key)
    if kind is not None and value != "":
        return _personal(kind, str(value))
    if isinstance(value, Decimal | float):
        return value
    if isinstance(value, int):
        s = str(value)
        return value if _text(s) == s else _text(s)
    return _text(str(value))


def _personal(kind: str, s: str) -> str:
    if kind == "certno":
        return mask_certno(s)
    if kind == "name":
        return mask_name(s)
    if kind == "phone":
        return mask_phone(s)
    return s[:6] + "***" if len(s) > 6 else "***"


def _text(s: str) -> str:
    """Free text with anything ID-like or phone-like masked, and at most TEXT_KEEP long."""
    if len(s) > TEXT_KEEP:
        # masking keeps lengths, so an ID cut in two at 2*TEXT_KEEP lies beyond what is kept
        return _scrub(s[:2 * TEXT_KEEP])[:TEXT_KEEP] + f"…({len(s)} characters)"
    return _scrub(s)


def _scrub(s: str) -> str:
    return scrub(_ID18.sub(lambda m: mask_certno(m.group(0)), s))


