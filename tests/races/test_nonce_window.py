"""A signed request stamped up to the window ahead and used at once stays unreplayable until
its own timestamp has left the window: the nonce is kept that long, not just twice the window
from its first use."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gongji.client.signing import signed_headers
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import GongjiError
from gongji.services.institutions import service as institutions
from gongji.services.institutions.model import WINDOW_SECONDS
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.clinic import HOSPITAL, open_clinic
from tests.conftest import OPERATOR
from tests.family import make_family

T0 = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)


def test_a_nonce_outlives_its_own_timestamp_window(database: Database,
                                                   clock: FixedClock) -> None:
    wall = FixedClock(T0)
    app = Gongji(database, clock, wall=wall)
    open_clinic(make_family(app))
    k = institutions.create_key(app, OPERATOR, HOSPITAL)
    ahead = int(T0.timestamp()) + WINDOW_SECONDS             # stamped at the edge, ahead
    h = signed_headers(k.key_id, k.secret, "POST", "/x", b"{}", timestamp=ahead)

    def use() -> None:
        institutions.authenticate(app, key_id=k.key_id, timestamp=h["X-Gongji-Timestamp"],
                                  nonce=h["X-Gongji-Nonce"],
                                  signature=h["X-Gongji-Signature"], method="POST", path="/x",
                                  body=b"{}")

    use()
    # every later moment the timestamp is still inside the window, the replay is refused,
    # however many other requests (which purge old nonces) came in between
    w = WINDOW_SECONDS
    for later in (1, w, 2 * w, 2 * w + 0.5, 2 * w + 1.5):
        wall.set(T0 + timedelta(seconds=later))
        other = signed_headers(k.key_id, k.secret, "POST", "/x", b"{}",
                               timestamp=int(wall.now().timestamp()))
        institutions.authenticate(app, key_id=k.key_id, timestamp=other["X-Gongji-Timestamp"],
                                  nonce=other["X-Gongji-Nonce"],
                                  signature=other["X-Gongji-Signature"], method="POST",
                                  path="/x", body=b"{}")
        with pytest.raises(GongjiError) as e:
            use()
        expected = "NONCE_REUSED" if int(later) <= 2 * w else "SIGNATURE_EXPIRED"
        assert e.value.code == expected, (later, e.value.code)
