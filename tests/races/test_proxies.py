"""亲情账户 (family proxy) limits, issue 17: at most `credentials.proxy_members` relatives,
pending or active, per holder, held when the requests come at once; relatives of 16 and over
confirm themselves, younger ones need an operator's check of documents (to the day)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from gongji.domain.documents import Document
from gongji.domain.errors import GongjiError
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from tests.family import Family, Member, key, make_family
from tests.races.barrier import together

LIMIT = 5  # the national default, credentials.proxy_members


def relatives(fam: Family, n: int, *, first: date = date(1970, 1, 1)) -> list[Member]:
    return [fam.add(f"亲属{i:02d}", born=first + timedelta(days=i), seq=400 + i,
                    insutype="390", psn_type="1501", admdvs="510100", pin=False)
            for i in range(n)]


def outcome(r: Any) -> str:
    if isinstance(r, GongjiError):
        return r.code
    assert not isinstance(r, BaseException), r
    return str(r)


def ask(app: Gongji, holder: Member, m: Member) -> str:
    return proxies.request(app, holder.who, key("px"), proxies.RequestProxy(
        m.certno, m.name, "sibling")).value.status


def test_forty_relatives_at_once_fill_the_account_to_its_limit(app: Gongji) -> None:
    fam = make_family(app)
    zw = fam["张伟"]
    many = relatives(fam, 40)
    out = Counter(outcome(r) for r in together(*[lambda m=m: ask(app, zw, m)  # type: ignore[misc]
                                                  for m in many]))
    assert out == {"pending": LIMIT, "PROXY_MEMBERS_FULL": 40 - LIMIT}, out
    held = [p for p in proxies.list_for(app, zw.who, zw.psn_no) if p.holder_psn_no == zw.psn_no]
    assert len(held) == LIMIT


def test_two_requests_for_one_relative_at_once_make_one(app: Gongji) -> None:
    fam = make_family(app)
    zw, ma = fam["张伟"], fam["李秀英"]
    out = Counter(outcome(r) for r in together(lambda: ask(app, zw, ma),
                                               lambda: ask(app, zw, ma)))
    assert out == {"pending": 1, "PROXY_EXISTS": 1}, out


def test_ending_one_makes_room(app: Gongji) -> None:
    fam = make_family(app)
    zw = fam["张伟"]
    six = relatives(fam, LIMIT + 1)
    ids = [proxies.request(app, zw.who, key("px"), proxies.RequestProxy(
        m.certno, m.name, "sibling")).value.id for m in six[:LIMIT]]
    try:
        ask(app, zw, six[LIMIT])
        raise AssertionError("a sixth relative was taken")
    except GongjiError as e:
        assert e.code == "PROXY_MEMBERS_FULL" and "5" in e.message
    proxies.end(app, zw.who, key("end"), ids[0])
    assert ask(app, zw, six[LIMIT]) == "pending"


def test_sixteen_confirm_themselves_younger_need_documents(app: Gongji) -> None:
    """The clock stands at 2026-11-24: born 2010-11-24 is 16 that day, born a day later 15."""
    fam = make_family(app)
    zw = fam["张伟"]
    sixteen = fam.add("满十六", born=date(2010, 11, 24), seq=501, insutype="390",
                      psn_type="1401", admdvs="510100", pin=False)
    fifteen = fam.add("差一天", born=date(2010, 11, 25), seq=503, insutype="390",
                      psn_type="1401", admdvs="510100", pin=False)

    def needs(m: Member) -> str:
        return proxies.request(app, zw.who, key("px"), proxies.RequestProxy(
            m.certno, m.name, "sibling", documents=(
                Document("household_register", "510104-0001"),))).value.needs

    assert needs(sixteen) == "consent"
    assert needs(fifteen) == "operator"
