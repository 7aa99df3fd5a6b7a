"""Documents named for a minor's proxy (亲情账户) as pure checks."""

from __future__ import annotations

import pytest

from gongji.domain.documents import Document, decode, encode, required, satisfied, valid
from gongji.domain.errors import GongjiError

KINDS = frozenset({"household_register", "birth_certificate"})
BIRTH = Document("birth_certificate", "Q510012345")
HUKOU = Document("household_register", "510104-0012")


def test_any_one_or_all() -> None:
    assert satisfied([BIRTH], accepted=KINDS, needed="any")
    assert not satisfied([], accepted=KINDS, needed="any")
    assert not satisfied([BIRTH], accepted=KINDS, needed="all")
    assert satisfied([HUKOU, BIRTH], accepted=KINDS, needed="all")
    with pytest.raises(GongjiError) as e:
        required([], accepted=KINDS, needed="any", age=16)
    assert e.value.code == "PROXY_DOCUMENTS_MISSING"


@pytest.mark.parametrize("doc", [Document("passport", "E1234567"),
                                 Document("birth_certificate", "Q51"),
                                 Document("birth_certificate", "Q5 10012345"),
                                 Document("birth_certificate", "-Q510012345"),
                                 Document("birth_certificate", "Q" * 41)])
def test_bad_documents(doc: Document) -> None:
    with pytest.raises(GongjiError) as e:
        valid([doc])
    assert e.value.code == "PROXY_DOCUMENT_INVALID"


def test_numbers_are_trimmed_stored_and_masked() -> None:
    (d,) = valid([Document("birth_certificate", "  Q510012345 ")])
    assert d == BIRTH and d.reference_masked == "Q5******45"
    assert Document("household_register", "1234").reference_masked == "****"
    text = encode([HUKOU, BIRTH]) + "\nnote"
    assert decode(text) == (HUKOU, BIRTH)
    assert decode("出生医学证明") == () and decode(None) == ()
