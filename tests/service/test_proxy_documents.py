"""亲情账户 documents (issue 17, point 10): a proxy for a relative under credentials.minor_age
names the relative's documents (户口簿 / 出生医学证明 and the number) instead of their consent;
代开通 needs them where the policy says so. Boundaries the second before and the first second
of the 16th birthday (张小宝, born 2019-09-01), on both databases."""

from __future__ import annotations

import pytest

from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.documents import Document
from gongji.services.proxies import service as proxies
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from tests.conftest import OPERATOR, refused
from tests.family import Family, key, make_family
from tests.service.test_wallet import upload

BIRTH = Document("birth_certificate", "Q510012345")
HUKOU = Document("household_register", "510104-0012")


@pytest.fixture
def fam(app) -> Family:  # type: ignore[no-untyped-def]
    return make_family(app)


def ask(fam: Family, *docs: Document, name: str = "张小宝", relation: str = "child"
        ) -> proxies.ProxyView:
    m = fam[name]
    return proxies.request(fam.app, fam["张伟"].who, key(), proxies.RequestProxy(
        m.certno, m.name, relation, documents=docs)).value


def test_the_day_before_the_16th_birthday_documents_on_the_day_consent(
        fam: Family, database: Database, clock: FixedClock) -> None:
    clock.set(shanghai(2035, 8, 31, 23, 59, 59))
    err = refused(database, "PROXY_DOCUMENTS_MISSING", lambda: ask(fam))
    assert err.params["age"] == 16
    assert "户口簿、出生医学证明" in err.message and "其中一种" in err.message
    assert "household register, birth medical certificate" in err.message_en
    p = ask(fam, BIRTH)
    assert (p.needs, p.status) == ("operator", "pending")
    assert [(d.kind, d.reference_masked) for d in p.documents] == [
        ("birth_certificate", "Q5******45")]
    assert [q.documents for q in proxies.pending_for_operators(fam.app, OPERATOR)] == [
        p.documents]
    proxies.end(fam.app, fam["张伟"].who, key(), p.id)

    clock.set(shanghai(2035, 9, 1, 0, 0, 0))
    p = ask(fam)
    assert (p.needs, p.documents) == ("consent", ())


def test_documents_are_checked(fam: Family, database: Database) -> None:
    refused(database, "PROXY_DOCUMENT_INVALID", lambda: ask(fam, Document("passport", "E1234567")))
    refused(database, "PROXY_DOCUMENT_INVALID", lambda: ask(fam, Document("birth_certificate",
                                                                          "Q5 1")))
    refused(database, "PROXY_DOCUMENT_INVALID", lambda: ask(fam, BIRTH, BIRTH))
    # an adult's proxy rests on consent: documents are optional there, but checked if named
    refused(database, "PROXY_DOCUMENT_INVALID", lambda: ask(
        fam, Document("birth_certificate", "x"), name="李秀英", relation="parent"))
    assert ask(fam, name="李秀英", relation="parent").needs == "consent"


def test_a_region_may_ask_for_all_the_documents(fam: Family, database: Database,
                                                clock: FixedClock) -> None:
    upload(fam.app, 'region: "510100"\neffective_from: 2026-11-24\n'
                    "credentials: {minor_documents_needed: all}\n")
    err = refused(database, "PROXY_DOCUMENTS_MISSING", lambda: ask(fam, BIRTH))
    assert "全部" in err.message and "all of" in err.message_en
    assert ask(fam, BIRTH, HUKOU).needs == "operator"


def test_opening_a_minors_wallet_needs_the_documents_until_the_16th_birthday(
        fam: Family, database: Database, clock: FixedClock) -> None:
    """The proxy was approved on one document; then the region asks for both. 代开通 the
    second before the 16th birthday is refused; from the birthday (an adult now) it is not."""
    clock.set(shanghai(2035, 8, 1, 10, 0, 0))
    p = ask(fam, BIRTH)
    proxies.decide(fam.app, OPERATOR, key(), p.id, True)
    upload(fam.app, 'region: "510100"\neffective_from: 2035-08-02\n'
                    "credentials: {minor_documents_needed: all}\n")
    son, zw = fam["张小宝"], fam["张伟"]
    clock.set(shanghai(2035, 8, 31, 23, 59, 59))
    err = refused(database, "PROXY_OPEN_NEEDS_DOCUMENTS", lambda: wallet.open_wallet(
        fam.app, zw.who, key(), son.psn_no))
    assert "户口簿" in err.message and "household register" in err.message_en
    clock.set(shanghai(2035, 9, 1, 0, 0, 0))
    assert wallet.open_wallet(fam.app, zw.who, key(), son.psn_no).value.status == "open"


def test_a_region_may_ask_documents_for_every_proxy_opening(
        fam: Family, database: Database) -> None:
    upload(fam.app, 'region: "411300"\neffective_from: 2026-11-24\n'
                    "credentials: {proxy_open_documents: always}\n")
    ma, zw = fam["李秀英"], fam["张伟"]
    p = ask(fam, name="李秀英", relation="parent")
    proxies.decide(fam.app, ma.who, key(), p.id, True)
    refused(database, "PROXY_OPEN_NEEDS_DOCUMENTS", lambda: wallet.open_wallet(
        fam.app, zw.who, key(), ma.psn_no))
    assert wallet.open_wallet(fam.app, ma.who, key(), ma.psn_no).value.status == "open"
    wallet.close_wallet(fam.app, ma.who, key(), ma.psn_no)
    proxies.end(fam.app, zw.who, key(), p.id)
    p = ask(fam, HUKOU, name="李秀英", relation="parent")
    proxies.decide(fam.app, ma.who, key(), p.id, True)
    assert wallet.open_wallet(fam.app, zw.who, key(), ma.psn_no).value.status == "open"


def test_opening_an_adults_wallet_needs_no_documents_nationally(fam: Family) -> None:
    ma, zw = fam["李秀英"], fam["张伟"]
    p = ask(fam, name="李秀英", relation="parent")
    proxies.decide(fam.app, ma.who, key(), p.id, True)
    assert wallet.open_wallet(fam.app, zw.who, key(), ma.psn_no).value.status == "open"
