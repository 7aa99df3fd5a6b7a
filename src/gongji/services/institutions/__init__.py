"""Designated institutions (定点医药机构), their API keys and signed requests (the contract).

Doors: register (operators; opens the institution's INSTITUTION ledger account), create_key
and issue_key (an API key; issue_key is idempotent by a client key), list_all, lookup (anyone:
institutions by wallet, area and name fragment, sorted by name, a page at a time; where the
wallet is accepted), authenticate (the institution behind a signed request; an auth door).
Steps other capabilities compose: get_in (an institution, read once per unit of work),
all_in, lookup_in.

- model.py: the command (RegisterInstitution), Institution, the keys (NewKey, IssuedKey),
  WINDOW_SECONDS, a lookup (Lookup) and its page (InstitutionPage).
- store.py: institutions, institution_keys and the request nonces, as typed records.
- service.py: the doors and the steps.

Promises: a code is registered once and never edited; a key's secret is shown once (a
replayed issue_key names the key without it); a signed request is refused when forged, signed
by an unknown or revoked key, more than WINDOW_SECONDS from the server's wall clock, or
replayed (its nonce is remembered per key); nonces too old to replay are forgotten as we go.
A lookup shows only what is public (code, name, kind, level, area, whether it takes the
wallet), in the same order on SQLite and PostgreSQL; a bad area is AREA_INVALID, a bad name
fragment or page VALIDATION_ERROR naming it.
"""
