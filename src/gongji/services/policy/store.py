"""Policy documents: the shipped YAML (gongji/data/policy, GONGJI_POLICY_DIR) and the versions
operators uploaded (policy_documents), and the book that resolves a region's rules on a day
(national, province, region merged), cached until an upload changes the documents."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, func, insert, select

from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_id
from gongji.domain.policy import (
    HEADER_KEYS,
    Policy,
    PolicyDocument,
    check_documents,
    resolve,
)
from gongji.domain.regions import NATIONAL, check_admdvs
from gongji.store import fast
from gongji.store.tables import policy_documents

_FINGERPRINT = fast.Prepared(select(func.count(), func.max(policy_documents.c.uploaded_at))
                             .select_from(policy_documents))
"""What the uploaded documents are now (how many, the newest): the cache's key."""


def parse_documents(text: str, *, source: str) -> list[PolicyDocument]:
    """YAML text (one or more documents separated by ---) into PolicyDocuments."""
    try:
        raw = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise GongjiError("POLICY_INVALID", source=source,
                          problems=f"YAML{where}: {problem}",
                          errors=[f"YAML{where}: {problem}"]) from None
    if not raw:
        raise GongjiError("POLICY_INVALID", source=source, problems="the file is empty",
                          errors=["the file is empty"])
    return [_document(d, f"{source}#{i + 1}" if len(raw) > 1 else source)
            for i, d in enumerate(raw)]


def _document(d: Any, source: str) -> PolicyDocument:
    problems = []
    if not isinstance(d, dict):
        raise GongjiError("POLICY_INVALID", source=source,
                          problems="a document is a mapping of keys to values",
                          errors=["(document): not a mapping"])
    region = str(d.get("region", ""))
    try:
        if region != NATIONAL:
            check_admdvs(region, field="region")
    except GongjiError:
        problems.append(f"region: {region!r} is not 000000 or a 6-digit admdvs code")
    start, end = d.get("effective_from"), d.get("effective_to")
    if not _is_day(start):
        problems.append("effective_from: a date (YYYY-MM-DD) is required")
    if end is not None and not _is_day(end):
        problems.append("effective_to: a date (YYYY-MM-DD) or null")
    if isinstance(start, date) and isinstance(end, date) and end <= start:
        problems.append("effective_to: must be after effective_from")
    body = {k: v for k, v in d.items() if k not in HEADER_KEYS}
    if problems:
        raise GongjiError("POLICY_INVALID", source=source, problems="; ".join(problems),
                          errors=problems)
    return PolicyDocument(region=region, effective_from=start, effective_to=end,  # type: ignore[arg-type]
                          body=body, name=str(d.get("name", "")), source=source)


def _is_day(value: Any) -> bool:
    """A calendar day (YAML also makes datetimes of "2025-07-01 10:00": those are refused)."""
    return isinstance(value, date) and not isinstance(value, datetime)


def shipped_documents() -> list[PolicyDocument]:
    docs: list[PolicyDocument] = []
    folder = resources.files("gongji") / "data" / "policy"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith((".yaml", ".yml")):
            docs += parse_documents(entry.read_text(encoding="utf-8"),
                                    source=f"data/policy/{entry.name}")
    extra = os.environ.get("GONGJI_POLICY_DIR")
    if extra:
        for path in sorted(Path(extra).glob("*.y*ml")):
            docs += parse_documents(path.read_text(encoding="utf-8"), source=str(path))
    return docs


class PolicyBook:
    """Every policy document, shipped and uploaded, and the resolved policies (cached)."""

    def __init__(self, shipped: list[PolicyDocument] | None = None) -> None:
        self.shipped = shipped if shipped is not None else shipped_documents()
        self._lock = threading.Lock()
        self._fingerprint: tuple[Any, ...] | None = None
        self._uploaded: list[PolicyDocument] = []
        self._cache: dict[tuple[str, date], Policy] = {}

    def documents(self, conn: Connection) -> list[PolicyDocument]:
        fp = tuple(_FINGERPRINT.run(conn).one())
        with self._lock:
            if fp != self._fingerprint:
                rows = conn.execute(select(policy_documents)
                                    .order_by(policy_documents.c.uploaded_at)).all()
                self._uploaded = [
                    PolicyDocument(region=r.region, effective_from=r.effective_from,
                                   effective_to=r.effective_to, name=r.name,
                                   body=yaml.safe_load(r.body) or {},
                                   source=f"upload {r.id}") for r in rows]
                self._fingerprint = fp
                self._cache.clear()
            return self.shipped + self._uploaded

    def resolve(self, conn: Connection, admdvs: str, day: date) -> Policy:
        docs = self.documents(conn)
        key = (admdvs, day)
        with self._lock:
            hit = self._cache.get(key)
        if hit is None:
            hit = resolve(docs, admdvs, day)
            with self._lock:
                self._cache[key] = hit
        return hit

    def upload(self, conn: Connection, text: str, *, by: str, now: Any) -> list[str]:
        docs = parse_documents(text, source="upload")
        check_documents(docs, self.documents(conn))
        ids = []
        for doc in docs:
            doc_id = new_id()
            conn.execute(insert(policy_documents).values(
                id=doc_id, region=doc.region, effective_from=doc.effective_from,
                effective_to=doc.effective_to, name=doc.name,
                body=yaml.safe_dump(dict(doc.body), allow_unicode=True, sort_keys=False),
                uploaded_at=now, uploaded_by=by))
            ids.append(doc_id)
        return ids
