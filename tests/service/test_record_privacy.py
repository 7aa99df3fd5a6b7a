"""A stranger acting on another family's transfer or binding by its id learns nothing: the
answer is the one an id that does not exist gets. Those who may see the record (either side,
their proxy, an operator) still get FORBIDDEN for what they may not do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from gongji.domain.errors import GongjiError
from gongji.services.family import service as family
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import Principal
from tests.conftest import OPERATOR
from tests.family import PIN, key, make_family

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def code_of(fn: Callable[[], Any]) -> str:
    with pytest.raises(GongjiError) as e:
        fn()
    return e.value.code


def test_strangers_get_not_found_alike(app: Gongji) -> None:
    fam = make_family(app)
    fam.open_wallet("张伟")
    fam.open_wallet("王芳")
    binding = fam.bind("张伟", "王芳", "spouse")
    sent = transfers.send(app, fam["张伟"].who, key("t"),
                          transfers.SendTransfer(fam["王芳"].psn_no, 10_00), PIN).value
    stranger = fam.add("路人", born=date(1980, 5, 5), seq=555, insutype="310",
                       psn_type="1101", admdvs="510100").who
    pharmacy = Principal("institution", "P51010000001")

    for who in (stranger, pharmacy):
        for tid in (sent.id, UNKNOWN):
            assert code_of(lambda t=tid, w=who: transfers.get(app, w, t)) == "TRANSFER_NOT_FOUND"
            for action in ("accept", "reject", "cancel"):
                assert code_of(lambda t=tid, a=action, w=who: transfers.respond(  # type: ignore[misc]
                    app, w, key("x"), t, a)) == "TRANSFER_NOT_FOUND"
        for bid in (binding, UNKNOWN):
            assert code_of(lambda b=bid, w=who: family.get(app, w, b)) == "BINDING_NOT_FOUND"
            assert code_of(lambda b=bid, w=who: family.respond(app, w, key("x"), b, True)) \
                == "BINDING_NOT_FOUND"
            assert code_of(lambda b=bid, w=who: family.end(app, w, key("x"), b)) \
                == "BINDING_NOT_FOUND"

    # those who may see it still learn why they may not act
    assert code_of(lambda: transfers.respond(app, fam["张伟"].who, key("x"), sent.id,
                                             "accept")) == "FORBIDDEN"
    assert code_of(lambda: transfers.respond(app, OPERATOR, key("x"), sent.id,
                                             "cancel")) == "FORBIDDEN"
    assert transfers.get(app, OPERATOR, sent.id).id == sent.id
    assert family.get(app, fam["王芳"].who, binding).id == binding
