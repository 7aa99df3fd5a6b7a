"""Documents that show a relative's identity and relation (亲情账户, 代开通).

A proxy for a relative under credentials.minor_age cannot rest on the relative's own consent:
the holder names the documents an operator will check, each by kind and number (policy
credentials.minor_documents: which kinds, and whether any one or all of them are needed).
Where a region's policy says so (credentials.proxy_open_documents), a proxy that opens a
relative's wallet (代开通) needs such documents on the proxy too.

The numbers are personal data: they are kept for the operator and shown masked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from gongji.domain.errors import Bi, GongjiError

DocumentKind = Literal["household_register", "birth_certificate"]

KINDS: dict[str, Bi] = {
    "household_register": Bi("户口簿", "household register"),
    "birth_certificate": Bi("出生医学证明", "birth medical certificate"),
}
"""Every kind a policy may require, as each language names it."""

REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{3,39}")
"""A document's number: 4-40 letters, digits or hyphens (出生医学证明 Q510012345, 户号...)."""

PREFIX = "docs:"
"""How the stored text of a proxy's documents begins (anything else is an older free note)."""


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    reference: str
    """The document's number."""

    @property
    def reference_masked(self) -> str:
        """The number with all but its first and last two characters masked."""
        ref = self.reference
        return ref[:2] + "*" * (len(ref) - 4) + ref[-2:] if len(ref) > 4 else "****"


def names(kinds: Collection[str]) -> Bi:
    ordered = [k for k in KINDS if k in kinds]
    return Bi("、".join(KINDS[k].zh for k in ordered), ", ".join(KINDS[k].en for k in ordered))


def valid(given: Sequence[Document]) -> tuple[Document, ...]:
    """The documents named, checked: known kinds, each once, a number of the right form."""
    out: list[Document] = []
    for d in given:
        ref = d.reference.strip()
        if d.kind not in KINDS:
            raise GongjiError("PROXY_DOCUMENT_INVALID", reason=Bi(
                f"不支持的证件类型 {d.kind[:40]}（应为 {'、'.join(KINDS)}）",
                f"unknown kind {d.kind[:40]} (one of {', '.join(KINDS)})"))
        if not REFERENCE.fullmatch(ref):
            raise GongjiError("PROXY_DOCUMENT_INVALID", reason=Bi(
                f"{KINDS[d.kind].zh}编号应为 4-40 位字母、数字或连字符",
                f"the {KINDS[d.kind].en} number is 4-40 letters, digits or hyphens"))
        if any(x.kind == d.kind for x in out):
            raise GongjiError("PROXY_DOCUMENT_INVALID", reason=Bi(
                f"{KINDS[d.kind].zh}重复", f"{KINDS[d.kind].en} named twice"))
        out.append(Document(d.kind, ref))
    return tuple(out)


def satisfied(docs: Sequence[Document], *, accepted: Collection[str],
              needed: Literal["any", "all"]) -> bool:
    """Whether the documents include the policy's kinds: any one of them, or all."""
    named, wanted = {d.kind for d in docs}, set(accepted)
    return named >= wanted if needed == "all" else bool(named & wanted)


def required(given: Sequence[Document], *, accepted: Collection[str],
             needed: Literal["any", "all"], age: int) -> tuple[Document, ...]:
    """The documents named for a minor's proxy: valid, and the policy's kinds present;
    PROXY_DOCUMENTS_MISSING names them otherwise."""
    docs = valid(given)
    if not satisfied(docs, accepted=accepted, needed=needed):
        raise GongjiError("PROXY_DOCUMENTS_MISSING", age=age, documents=names(accepted),
                          needed=Bi("全部", "all of") if needed == "all"
                          else Bi("其中一种", "one of"))
    return docs


def encode(docs: Sequence[Document]) -> str:
    """The stored text: docs:kind=number;kind=number."""
    return PREFIX + ";".join(f"{d.kind}={d.reference}" for d in docs)


def decode(text: str | None) -> tuple[Document, ...]:
    """The documents of a stored text; none for an empty or older free-text note."""
    if not text or not text.startswith(PREFIX):
        return ()
    first = text[len(PREFIX):].split("\n", 1)[0]
    return tuple(Document(*part.split("=", 1)) for part in first.split(";") if "=" in part)
