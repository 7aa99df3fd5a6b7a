"""What family proxies take and give: a request for a relative's proxy, and a proxy as the
holder, the relative and operators see it (names masked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongji.domain.documents import Document


@dataclass(frozen=True, slots=True)
class RequestProxy:
    relative_certno: str
    relative_name: str
    relation: str
    """What the relative is to the holder."""
    evidence: str = ""
    """A free note for the operator."""
    documents: tuple[Document, ...] = ()
    """The relative's documents, each by kind and number: required for a relative under
    credentials.minor_age (policy credentials.minor_documents), optional otherwise."""


@dataclass(frozen=True, slots=True)
class ProxyDocument:
    kind: str
    reference_masked: str


@dataclass(frozen=True, slots=True)
class ProxyView:
    id: str
    holder_psn_no: str
    subject_psn_no: str
    holder_name_masked: str
    subject_name_masked: str
    relation: str
    status: str
    needs: str
    """consent (an adult relative agrees) or operator (documents checked for a minor)."""
    requested_at: datetime
    decided_at: datetime | None
    documents: tuple[ProxyDocument, ...] = ()
    """The documents named, their numbers masked."""
