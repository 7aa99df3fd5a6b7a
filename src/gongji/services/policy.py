"""Policy documents: the shipped YAML, operator uploads, and resolving a region's rules.

Shipped documents live in gongji/data/policy (and GONGJI_POLICY_DIR, if set); operators add
versions through the API (stored in policy_documents). Resolving (region, day) merges the
national default, the province and the region, each the version in force that day.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import Connection, func, insert, select

from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_id
from gongji.domain.policy import (
    HEADER_KEYS,
    Change,
    Policy,
    PolicyDocument,
    as_document,
    diff,
    in_force,
    merge,
    overlaps,
    resolve,
    validate,
)
from gongji.domain.regions import NATIONAL, check_admdvs, layers
from gongji.services.access import require_operator
from gongji.services.door import door
from gongji.store.tables import policy_documents

if TYPE_CHECKING:  # the runtime imports this module for PolicyBook
    from gongji.services.runtime import Gongji, Key, Written
    from gongji.services.unit_of_work import UnitOfWork


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
        fp = tuple(conn.execute(select(func.count(), func.max(policy_documents.c.uploaded_at))
                                .select_from(policy_documents)).one())
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

    def check(self, docs: Iterable[PolicyDocument], existing: list[PolicyDocument]) -> None:
        """Each document, merged over what it overlays on its first day, must validate; the
        set must not have two versions of one region in force on the same day."""
        docs = list(docs)
        everything = existing + docs
        for doc in docs:
            base: dict[str, Any] = {}
            for layer in layers(doc.region) if doc.region != NATIONAL else []:
                if layer == doc.region:
                    break
                under = in_force(everything, layer, doc.effective_from)
                if under is not None:
                    base = merge(base, under.body)
            validate(merge(base, doc.body), source=doc.source or doc.region)
        clashes = overlaps(everything)
        if clashes:
            problems = [f"{a.source or a.region} ({a.effective_from}..{a.effective_to}) "
                        f"overlaps {b.source or b.region} (from {b.effective_from})"
                        for a, b in clashes]
            raise GongjiError("POLICY_INVALID", source=docs[0].source if docs else "policy",
                              problems="; ".join(problems), errors=problems)

    def upload(self, conn: Connection, text: str, *, by: str, now: Any) -> list[str]:
        docs = parse_documents(text, source="upload")
        self.check(docs, self.documents(conn))
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



# -- what operators do with policies (the console, the API, the CLI) ---------------------------

@dataclass(frozen=True, slots=True)
class CheckedFile:
    documents: list[PolicyDocument]
    merged: dict[str, Policy]
    """Each document's region, merged on the day asked for (empty when no day was asked)."""


@door
def check_file(path: Path, day: date | None = None) -> CheckedFile:
    """`gongji policy check`: a file checked against the shipped documents (a shipped file is
    not counted twice), and optionally each region's merged policy on a day."""
    docs = parse_documents(path.read_text(encoding="utf-8"), source=str(path))
    mine = f"data/policy/{path.name}"
    shipped = [d for d in shipped_documents() if d.source.split("#")[0] != mine]
    PolicyBook(shipped).check(docs, shipped)
    merged = {d.region: resolve(shipped + docs, d.region, day) for d in docs} if day else {}
    return CheckedFile(docs, merged)


@door
def check_text(app: Gongji, who: Principal, text: str) -> list[PolicyDocument]:
    """Validate uploaded YAML against every stored document without storing it; refused with
    POLICY_INVALID whose `errors` name each problem by path (operators)."""
    require_operator(who)
    return app.read(lambda uow: check_in(uow, text), principal=who)


def check_in(uow: UnitOfWork, text: str) -> list[PolicyDocument]:
    docs = parse_documents(text, source="upload")
    uow.app.policies.check(docs, uow.app.policies.documents(uow.conn))
    return docs


@door
def upload_text(app: Gongji, who: Principal, key: Key, text: str) -> Written[list[str]]:
    """Store new policy versions (one unit of work, idempotent by key); the ids stored."""
    require_operator(who)
    return app.write(who, key=key, operation="policy.upload", request={"text": text},
                     result_type=list[str],
                     fn=lambda uow: app.policies.upload(uow.conn, text, by=who.scope,
                                                        now=uow.now))


@dataclass(frozen=True, slots=True)
class Effective:
    """A region's policy on a day and the documents it was merged from (most general first)."""

    admdvs: str
    day: date
    policy: Policy
    layers: list[PolicyDocument]

    @property
    def document(self) -> dict[str, Any]:
        return as_document(self.policy)


def _check_region(uow: UnitOfWork, admdvs: str, field: str) -> None:
    if admdvs != NATIONAL:  # the national default is a layer of its own, not a region
        uow.region(admdvs, field=field)


@door
def effective(app: Gongji, who: Principal, admdvs: str, day: date | None = None, *,
              field: str = "admdvs") -> Effective:
    """A region's merged policy on a day (default today) and its layers (public: any
    caller)."""
    return app.read(lambda uow: effective_in(uow, admdvs, day, field=field), principal=who)


def effective_in(uow: UnitOfWork, admdvs: str, day: date | None = None, *,
                 field: str = "admdvs") -> Effective:
    _check_region(uow, admdvs, field)
    when = day or uow.today
    docs = uow.app.policies.documents(uow.conn)
    policy = uow.app.policies.resolve(uow.conn, admdvs, when)
    used = [d for layer in (layers(admdvs) if admdvs != NATIONAL else [NATIONAL])
            if (d := in_force(docs, layer, when)) is not None]
    return Effective(admdvs, when, policy, used)


@door
def versions(app: Gongji, who: Principal, admdvs: str) -> list[PolicyDocument]:
    """Every version of one region's document (shipped and uploaded), oldest first."""
    return app.read(lambda uow: versions_in(uow, admdvs), principal=who)


def versions_in(uow: UnitOfWork, admdvs: str) -> list[PolicyDocument]:
    _check_region(uow, admdvs, "region")
    return sorted((d for d in uow.app.policies.documents(uow.conn) if d.region == admdvs),
                  key=lambda d: d.effective_from)


@door
def compare(app: Gongji, who: Principal, a: tuple[str, date | None],
            b: tuple[str, date | None]) -> Comparison:
    """The parameters that differ between two (region, day) policies, e.g. one region on two
    dates, or the national default against a region (a day left out: today)."""
    return app.read(lambda uow: compare_in(uow, a, b), principal=who)


def compare_in(uow: UnitOfWork, a: tuple[str, date | None], b: tuple[str, date | None]
               ) -> Comparison:
    left = effective_in(uow, a[0], a[1], field="a_region")
    right = effective_in(uow, b[0], b[1], field="b_region")
    return Comparison(left, right, diff(left.policy, right.policy))


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Effective
    right: Effective
    changes: list[Change]
