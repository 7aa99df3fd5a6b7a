"""What operators and the public do with policies: a region's rules on a day, its versions, a
comparison, checking and storing new versions (the console, the API, the CLI)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gongji.domain.access import Principal
from gongji.domain.policy import PolicyDocument, check_documents, diff, in_force, resolve
from gongji.domain.regions import NATIONAL, layers
from gongji.services.access import require_operator
from gongji.services.door import door
from gongji.services.policy.model import CheckedFile, Comparison, Effective
from gongji.services.policy.store import parse_documents, shipped_documents
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import UnitOfWork


@door
def check_file(path: Path, day: date | None = None) -> CheckedFile:
    """`gongji policy check`: a file checked against the shipped documents (a shipped file is
    not counted twice), and optionally each region's merged policy on a day."""
    docs = parse_documents(path.read_text(encoding="utf-8"), source=str(path))
    mine = f"data/policy/{path.name}"
    shipped = [d for d in shipped_documents() if d.source.split("#")[0] != mine]
    check_documents(docs, shipped)
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
    check_documents(docs, uow.policies.documents(uow.conn))
    return docs


@door
def upload_text(app: Gongji, who: Principal, key: Key, text: str) -> Written[list[str]]:
    """Store new policy versions (one unit of work, idempotent by key); the ids stored."""
    require_operator(who)
    return app.write(who, key=key, operation="policy.upload", request={"text": text},
                     result_type=list[str],
                     fn=lambda uow: uow.policies.upload(uow.conn, text, by=who.scope,
                                                        now=uow.now))


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
    docs = uow.policies.documents(uow.conn)
    policy = uow.policies.resolve(uow.conn, admdvs, when)
    used = [d for layer in (layers(admdvs) if admdvs != NATIONAL else [NATIONAL])
            if (d := in_force(docs, layer, when)) is not None]
    return Effective(admdvs, when, policy, used)


@door
def versions(app: Gongji, who: Principal, admdvs: str) -> list[PolicyDocument]:
    """Every version of one region's document (shipped and uploaded), oldest first."""
    return app.read(lambda uow: versions_in(uow, admdvs), principal=who)


def versions_in(uow: UnitOfWork, admdvs: str) -> list[PolicyDocument]:
    _check_region(uow, admdvs, "region")
    return sorted((d for d in uow.policies.documents(uow.conn) if d.region == admdvs),
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

