"""Rollout by pooling region (issue 17, point 6): the wallet and cross-province mutual aid go live
region by region on a policy version's effective day; a transfer to a relative in a region not
live yet is refused before the PIN, naming the region, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from gongji.domain.clock import FixedClock, shanghai
from gongji.services.portal import service as portal
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from gongji.store.db import Database
from tests.conftest import OPERATOR, refused
from tests.family import PIN, Family, key, make_family

WRONG = "000000" if PIN != "000000" else "111111"

# Guangdong's wallet goes live on 2026-12-01 (Shanghai), mutual aid across provinces with it
LIVE = 'region: "440000"\neffective_from: 2026-12-01\nname: 广东省：医保钱包上线\n' \
       "wallet: {enabled: true, cross_province_mutual_aid: true}\n"
# ... or live at home only: no mutual aid across provinces yet
HOME_ONLY = 'region: "440000"\neffective_from: 2026-12-01\n' \
            "wallet: {enabled: true, cross_province_mutual_aid: false}\n"


def upload(app: Gongji, text: str) -> None:
    app.transact(OPERATOR, lambda uow: app.policies.upload(uow.conn, text, by="t", now=uow.now))


@pytest.fixture
def fam(app: Gongji) -> Family:
    """张伟 (Chengdu) sponsors his mother 李秀英 (Nanyang) and his sister 张丽 (Guangzhou)."""
    f = make_family(app)
    f.open_wallet("张伟")
    f.open_wallet("李秀英")
    f.bind("张伟", "李秀英", "parent")
    f.bind("张伟", "张丽", "sibling")
    return f


def send(fam: Family, to: str, pin: str = PIN) -> transfers.TransferView:
    return transfers.send(fam.app, fam["张伟"].who, key("t"),
                          transfers.SendTransfer(fam[to].psn_no, 100_00), pin).value


def test_region_not_live_is_said_before_the_pin(fam: Family, database: Database) -> None:
    # five wrong PINs would lock the sender out; refused on the region, none is spent
    for _ in range(6):
        err = refused(database, "WALLET_REGION_DISABLED", lambda: send(fam, "张丽", WRONG))
    assert err.params["admdvs"] == "440100"
    assert "接收方所在地区（广州市）尚未开通" in err.message
    assert "receiver's region (Guangzhou)" in err.message_en
    assert send(fam, "李秀英").status == "pending"  # the PIN is not locked


def test_portal_marks_relatives_who_cannot_receive_yet(fam: Family) -> None:
    page = portal.transfer_page(fam.app, fam["张伟"].who)
    why = {t.binding.beneficiary_psn_no: t.blocked for t in page.targets}
    assert why[fam["李秀英"].psn_no] is None
    blocked = why[fam["张丽"].psn_no]
    assert blocked is not None and blocked.code == "WALLET_REGION_DISABLED"
    assert "广州市" in blocked.message


@pytest.mark.parametrize("second", [59, 60])
def test_the_wallet_goes_live_on_its_effective_day(fam: Family, clock: FixedClock,
                                                   database: Database, second: int) -> None:
    upload(fam.app, LIVE)
    # 23:59:59 on 30 November is still before; 00:00:00 on 1 December is live (Shanghai)
    clock.set(shanghai(2026, 11, 30, 23, 59, 59) if second == 59
              else shanghai(2026, 12, 1, 0, 0, 0))
    if second == 59:
        refused(database, "WALLET_REGION_DISABLED", lambda: fam.open_wallet("张丽"))
        return
    fam.open_wallet("张丽")
    clock.set(shanghai(2026, 12, 1, 10, 0, 0))
    assert send(fam, "张丽").status == "pending"


@pytest.mark.parametrize("day", [30, 1])
def test_live_at_home_but_not_across_provinces(fam: Family, clock: FixedClock,
                                               database: Database, day: int) -> None:
    upload(fam.app, HOME_ONLY)
    clock.set(shanghai(2026, 12, 1, 0, 0, 0))
    fam.open_wallet("张丽")  # live at home from the 1st
    clock.set(shanghai(2026, 11, 30, 10, 0, 0) if day == 30 else shanghai(2026, 12, 1, 10, 0, 0))
    # on the 30th the region itself is not live; from the 1st only mutual aid across provinces
    code = "WALLET_REGION_DISABLED" if day == 30 else "MUTUAL_AID_CROSS_PROVINCE_DISABLED"
    err = refused(database, code, lambda: send(fam, "张丽", WRONG))
    assert "广州市" in err.message and "Guangzhou" in err.message_en
    assert send(fam, "李秀英").status == "pending"
