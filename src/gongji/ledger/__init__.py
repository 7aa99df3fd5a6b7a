"""The double-entry ledger.

Contract: every movement of money is an immutable entry of postings summing to zero; balances
change in the same transaction; accounts of person kinds never go negative (enforced by the
database); holds resolve exactly once (post, void or expire); reversals are mirror entries;
every entry is tied to the hash-chained audit log. `verify` recomputes all of it.
Reference: docs/ARCHITECTURE.md, "The ledger".
"""
