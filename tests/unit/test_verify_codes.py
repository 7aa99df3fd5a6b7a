"""verify (in the ledger layer) names the entry codes and funds the capabilities above it use;
it cannot import them, so this holds the two to the same values."""

from __future__ import annotations

from gongji.ledger import verify
from gongji.services.contributions.model import FUND
from gongji.services.settlement.service import SETTLEMENT
from gongji.services.transfers.model import TRANSFER


def test_verify_knows_the_capabilities_codes() -> None:
    assert verify.SETTLEMENT == SETTLEMENT
    assert verify.WALLET_TRANSFER == TRANSFER
    assert {k: v.value for k, v in FUND.items()} == verify.CONTRIBUTION_FUNDS


def test_verify_knows_the_tombstone() -> None:
    from gongji.services.idempotency import TOMBSTONE

    assert verify.TOMBSTONE == TOMBSTONE
