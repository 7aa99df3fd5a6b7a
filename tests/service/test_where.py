"""Where the wallet is accepted (issue 17, point 7), on SQLite and PostgreSQL: the public
lookup of institutions that take the wallet, and a settlement at one that does not, which
leaves the quota unused and says so."""

from __future__ import annotations

import pytest

from gongji.domain.access import ANONYMOUS
from gongji.domain.errors import GongjiError
from gongji.domain.regions import area_prefix
from gongji.services.explanation import service as explanation
from gongji.services.institutions import service as institutions
from gongji.services.institutions.model import Lookup
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.transfers import service as transfers
from gongji.services.wallet import service as wallet
from tests.clinic import D_B, HENAN_PHARMACY, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import PIN, key, make_family

NO_WALLET_PHARMACY = "P41130000002"   # Nanyang, does not take the wallet
NO_WALLET_CLINIC = "H51010000009"     # Chengdu, does not take the wallet


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    c = open_clinic(make_family(app))
    for code, name, level, admdvs in ((NO_WALLET_PHARMACY, "宛城小药房", "0", "411300"),
                                      (NO_WALLET_CLINIC, "锦江诊所", "1", "510100")):
        institutions.register(app, OPERATOR, key("i"), institutions.RegisterInstitution(
            code, name, level, admdvs, wallet_supported=False))
    return c


def names(app: Gongji, **kw: object) -> list[str]:
    page = institutions.lookup(app, ANONYMOUS, Lookup(**kw))  # type: ignore[arg-type]
    return [i.fixmedins_name for i in page.institutions]


# -- the lookup ------------------------------------------------------------------------------

def test_the_lookup_lists_who_takes_the_wallet_by_area_and_name(clinic: Clinic) -> None:
    app = clinic.app
    taking = ["南阳医院", "南阳大药房", "成都共济医院", "成都大药房", "社区卫生服务中心"]
    assert names(app) == sorted(taking), "code-point order of the names, on both databases"
    assert names(app, wallet=False) == ["宛城小药房", "锦江诊所"]
    assert len(names(app, wallet=None)) == 7
    # an area is a province (2 digits or ..0000), a city (4 or ..00) or one code (6)
    sichuan = ["成都共济医院", "成都大药房", "社区卫生服务中心"]
    for area in ("51", "510000", "5101", "510100", " 510100 "):
        assert names(app, area=area) == sichuan, area
    assert names(app, area="41") == ["南阳医院", "南阳大药房"]
    assert names(app, area="510104") == [] and names(app, area="44") == []
    # a name fragment, case ignored; % and _ are letters, not wildcards
    assert names(app, q="药房") == ["南阳大药房", "成都大药房"]
    assert names(app, q=" 成都 ", area="51") == ["成都共济医院", "成都大药房"]
    assert names(app, q="%") == [] and names(app, q="_") == []
    assert names(app, q="成都　") == names(app, q="成都"), "an ideographic space is trimmed"
    assert names(app, q="锦江") == [] and names(app, q="锦江", wallet=False) == ["锦江诊所"]


def test_the_lookup_pages_and_counts(clinic: Clinic) -> None:
    app = clinic.app
    pages = [institutions.lookup(app, ANONYMOUS, Lookup(page=n, per_page=2)) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [5, 5, 5] and pages[0].pages == 3
    seen = [i.fixmedins_name for p in pages for i in p.institutions]
    assert seen == names(app), "pages follow one another without gap or repeat"
    beyond = institutions.lookup(app, ANONYMOUS, Lookup(page=4, per_page=2))
    assert (beyond.institutions, beyond.total) == ([], 5)


@pytest.mark.parametrize(("kw", "code", "field"), [
    ({"area": "5"}, "AREA_INVALID", None), ({"area": "510"}, "AREA_INVALID", None),
    ({"area": "0510"}, "AREA_INVALID", None), ({"area": "5101001"}, "AREA_INVALID", None),
    ({"area": "51a1"}, "AREA_INVALID", None), ({"area": "51\x00"}, "AREA_INVALID", None),
    ({"q": "x" * 51}, "VALIDATION_ERROR", "q"), ({"q": "成都\x00"}, "VALIDATION_ERROR", "q"),
    ({"q": "a\u200bb"}, "VALIDATION_ERROR", "q"),
    ({"page": 0}, "VALIDATION_ERROR", "page"), ({"per_page": 101}, "VALIDATION_ERROR",
                                                "per_page"),
])
def test_bad_lookups_are_refused_with_a_stable_code(clinic: Clinic, kw: dict[str, object],
                                                    code: str, field: str | None) -> None:
    with pytest.raises(GongjiError) as e:
        institutions.lookup(clinic.app, ANONYMOUS, Lookup(**kw))  # type: ignore[arg-type]
    assert e.value.code == code and e.value.message and e.value.message_en
    if field:
        assert e.value.params["fields"] == field


def test_area_prefix() -> None:
    assert [area_prefix(x) for x in ("51", "510000", "5101", "510100", "510104")] == \
        ["51", "51", "5101", "5101", "510104"]


# -- settlement where the wallet is not taken ----------------------------------------------

def with_quota(clinic: Clinic, amount: int = 100_00) -> None:
    """张伟 sends his mother 李秀英 (resident, Nanyang: no personal account) wallet quota."""
    fam, app = clinic.fam, clinic.app
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    t = transfers.send(app, fam["张伟"].who, key(), transfers.SendTransfer(
        fam["李秀英"].psn_no, amount), PIN).value
    transfers.respond(app, fam["李秀英"].who, key(), t.id, "accept")


def quota(clinic: Clinic) -> int:
    return wallet.get(clinic.app, OPERATOR, clinic.fam["李秀英"].psn_no).quota_total


def test_quota_is_not_used_where_the_wallet_is_not_taken_and_the_settlement_says_so(
        clinic: Clinic) -> None:
    with_quota(clinic)
    v = clinic.visit("李秀英", at=NO_WALLET_PHARMACY, med_type="41")
    clinic.fees(v, (D_B, "2", "30"))
    pre = clinic.pre(v, "李秀英")
    s = clinic.settle(v, "李秀英")
    # the same purchase at a pharmacy that takes the wallet paid 56.00 from the quota
    # (test_settlement.py): here it is all cash, and the 56.00 is named as left unused
    for x in (pre, s):
        assert (x.acct_pay, x.acct_mulaid_pay, x.psn_cash_pay) == (0, 0, 60_00)
        assert x.payments == () and x.quota_not_accepted == 56_00
    assert quota(clinic) == 100_00, "the quota is still hers"
    again = clinic.app.read(lambda uow: svc.view_in(uow, s.setl_id or ""))
    assert again.quota_not_accepted == 56_00, "kept with the settlement"
    x = clinic.app.read(lambda uow: explanation.explain(uow, again))
    assert x.notes[0].key == "exp_wallet_not_accepted" and x.notes[0].amount == 56_00
    assert sum(st.amount for st in x.yours) == s.psn_part_amt


def test_quota_smaller_than_the_burden_is_named_as_it_was(clinic: Clinic) -> None:
    with_quota(clinic, 20_00)
    v = clinic.visit("李秀英", at=NO_WALLET_PHARMACY, med_type="41")
    clinic.fees(v, (D_B, "2", "30"))
    assert clinic.settle(v, "李秀英").quota_not_accepted == 20_00


def test_nothing_is_named_where_the_wallet_is_taken_or_was_not_asked_for(
        clinic: Clinic) -> None:
    with_quota(clinic)
    v = clinic.visit("李秀英", at=HENAN_PHARMACY, med_type="41")
    clinic.fees(v, (D_B, "2", "30"))
    s = clinic.settle(v, "李秀英")
    assert (s.acct_mulaid_pay, s.quota_not_accepted) == (56_00, 0)
    x = clinic.app.read(lambda uow: explanation.explain(uow, s))
    assert "exp_wallet_not_accepted" not in [st.key for st in x.notes]
    # the person declined the accounts (acct_used_flag 0): the institution skipped nothing
    v = clinic.visit("李秀英", at=NO_WALLET_PHARMACY, med_type="41")
    clinic.fees(v, (D_B, "1", "30"))
    assert clinic.settle(v, "李秀英", acct_used_flag=False).quota_not_accepted == 0


def test_no_quota_no_note(clinic: Clinic) -> None:
    """张伟 has no wallet quota of his own: his own account pays, nothing is named."""
    v = clinic.visit("张伟", at=NO_WALLET_CLINIC, med_type="11")
    clinic.fees(v, (D_B, "1", "20"))
    s = clinic.settle(v, "张伟")
    assert s.acct_pay > 0 and s.quota_not_accepted == 0
