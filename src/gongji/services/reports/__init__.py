"""Read-only figures for the operator console's reports (the contract).

Doors (operators): wallets_opened, transfers_by_day, transfer_outcomes, security,
settlements_by_region, and overview (the reports page: every figure from one snapshot, with
the month's clearing statement and each region's position). The *_in steps are the same
figures inside another unit of work; refusals_since_start reads the process metrics.

- model.py: the figures (DayCount, TransferDay, Outcome, Security, RegionSettlements,
  Position, Overview) and the limits (MAX_DAYS, DEFAULT_DAYS).
- store.py: the aggregations, over other capabilities' tables (it writes nothing).
- service.py: the doors: ranges checked, days zero-filled, transfer statuses named.

Promises: days are Asia/Shanghai business dates, a range is inclusive and at most MAX_DAYS
days, every day of it answers (zero-filled) and every transfer status is listed; amounts are
fen; only settled settlements count; nothing here writes.
"""
