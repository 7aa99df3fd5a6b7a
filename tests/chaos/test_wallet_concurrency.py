"""Many sends from one sponsor at the same moment: the daily count and the one-pending rule
hold under concurrency, because each send locks the sender's wallet row first."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

from gongji.domain.errors import GongjiError
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from gongji.services.wallet import service as wallet
from tests.conftest import OPERATOR
from tests.family import PIN, key, make_family

THREADS = 8


def test_daily_limit_holds_under_concurrent_sends(app: Gongji) -> None:
    fam = make_family(app)
    fam.open_wallet("张伟")
    receivers = []
    for i in range(4):
        name = f"亲属{i}"
        fam.add(name, born=date(1992, 1, 1 + i), seq=100 + 2 * i, insutype="310",
                psn_type="1101", admdvs="510100")
        fam.open_wallet(name)
        fam.bind("张伟", name, "sibling")
        receivers.append(fam[name].psn_no)
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(i: int) -> None:
        try:
            start.wait()
            transfers.send(app, fam["张伟"].who, key("c"),
                           transfers.SendTransfer(receivers[i % 4], 100_00), PIN)
            outcomes["sent"] += 1
        except GongjiError as e:
            outcomes[e.code] += 1
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert outcomes["sent"] == 3
    assert set(outcomes) <= {"sent", "TRANSFER_DAILY_LIMIT", "TRANSFER_PENDING_EXISTS"}
    assert sum(outcomes.values()) == THREADS
    sent = [t for t in transfers.list_for(app, OPERATOR, fam["张伟"].psn_no)]
    assert len(sent) == 3 and len({t.receiver_psn_no for t in sent}) == 3
    assert wallet.get(app, OPERATOR, fam["张伟"].psn_no).personal_account == 12_000_00 - 300_00
