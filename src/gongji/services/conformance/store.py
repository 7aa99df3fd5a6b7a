"""conformance_recordings (record mode per institution) and conformance_messages (what was
recorded), as typed records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.services.conformance.model import Observed, RecordedMessage
from gongji.store.tables import conformance_messages as messages
from gongji.store.tables import conformance_recordings as recordings


def until(conn: Connection, code: str) -> datetime | None:
    """Until when the institution's messages are recorded (None: never set)."""
    found: datetime | None = conn.execute(
        select(recordings.c.until).where(recordings.c.fixmedins_code == code)).scalar()
    return found


def set_until(conn: Connection, admdvs: str, code: str, *, until: datetime, by: str,
              at: datetime) -> None:
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)
    conn.execute(ins(recordings).values(admdvs=admdvs, fixmedins_code=code, until=until,
                                        set_by=by[:100], set_at=at)
                 .on_conflict_do_update(index_elements=["admdvs", "fixmedins_code"],
                                        set_={"until": until, "set_by": by[:100],
                                              "set_at": at}))


@dataclass(frozen=True, slots=True)
class NewMessage:
    id: str
    fixmedins_code: str
    infno: str | None
    msgid: str | None
    path: str
    scheme: str
    infcode: int
    refusal_code: str | None
    refusal_field: str | None
    refusal_zh: str | None
    refusal_en: str | None
    deviations: tuple[Observed, ...]
    raw: str | None
    raw_bytes: int
    received_at: datetime


def add(conn: Connection, m: NewMessage, *, admdvs: str) -> None:
    """Keep a message, in its institution's region (admdvs)."""
    conn.execute(insert(messages).values(
        admdvs=admdvs, id=m.id, fixmedins_code=m.fixmedins_code, infno=m.infno, msgid=m.msgid,
        path=m.path, scheme=m.scheme, infcode=m.infcode, refusal_code=m.refusal_code,
        refusal_field=m.refusal_field, refusal_zh=m.refusal_zh, refusal_en=m.refusal_en,
        deviations=_deviations_text(m.deviations), raw=m.raw, raw_bytes=m.raw_bytes,
        received_at=m.received_at))


def prune(conn: Connection, *, before: datetime) -> None:
    conn.execute(delete(messages).where(messages.c.received_at < before))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the report needs of one message (its request text left out)."""

    infno: str | None
    infcode: int
    refusal_code: str | None
    refusal_field: str | None
    refusal_zh: str | None
    refusal_en: str | None
    deviations: tuple[Observed, ...]


def outcomes(conn: Connection, code: str, *, since: datetime | None) -> list[Outcome]:
    """The institution's recorded messages, oldest first."""
    q = select(messages.c.infno, messages.c.infcode, messages.c.refusal_code,
               messages.c.refusal_field, messages.c.refusal_zh, messages.c.refusal_en,
               messages.c.deviations).where(messages.c.fixmedins_code == code)
    if since is not None:
        q = q.where(messages.c.received_at >= since)
    return [Outcome(r.infno, r.infcode, r.refusal_code, r.refusal_field, r.refusal_zh,
                    r.refusal_en, _deviations(r.deviations))
            for r in conn.execute(q.order_by(messages.c.received_at, messages.c.id))]


def recent(conn: Connection, code: str, *, limit: int) -> list[RecordedMessage]:
    """The institution's recorded messages, newest first (ids are time-ordered)."""
    rows = conn.execute(select(messages).where(messages.c.fixmedins_code == code)
                        .order_by(messages.c.received_at.desc(), messages.c.id.desc())
                        .limit(limit))
    return [RecordedMessage(
        id=r.id, received_at=r.received_at, infno=r.infno, msgid=r.msgid, path=r.path,
        scheme=r.scheme, infcode=r.infcode, refusal_code=r.refusal_code,
        refusal_field=r.refusal_field, refusal_zh=r.refusal_zh, refusal_en=r.refusal_en,
        deviations=_deviations(r.deviations), raw=r.raw, raw_bytes=r.raw_bytes)
        for r in rows]


def _deviations_text(ds: tuple[Observed, ...]) -> str:
    return json.dumps([{"field": d.field, "zh": d.zh, "en": d.en} for d in ds],
                      ensure_ascii=False)


def _deviations(text: str) -> tuple[Observed, ...]:
    return tuple(Observed(d["field"], d["zh"], d["en"]) for d in json.loads(text))
