"""The ledger's raw verbs for operators, the hold sweeper and verification (the contract).

Doors (operators): open_account, transfer (an adjustment), create_hold, resolve_hold (post or
void), reverse, and the reads accounts, account, entries, entry, hold; verify (every invariant
recomputed from the journal, and with anchors the chains held to a signed checkpoint);
sweep_expired (the system: due holds returned); make_signing_key and checkpoint (the chain
heads signed outside the database). Other capabilities compose ensure_region_accounts (a
pooling region's system accounts).

- model.py: the commands, a resolved hold, the entry codes (ADJUST, HOLD).
- service.py: the doors over uow.ledger (gongji.ledger, the journal): no data of its own, so
  no store.py.

Promises: every write is idempotent by key and is one balanced journal entry (or hold), on
the operators' own money only: never a person's account, quota or their HOLD
(LEDGER_PERSON_ACCOUNT), never a business record's entry or hold (ENTRY_OWNED, HOLD_OWNED);
a hold is expired exactly once, in batches that each commit on their own; verify reads one
snapshot. Business flows (transfers, settlements) move money through their own doors.
"""
