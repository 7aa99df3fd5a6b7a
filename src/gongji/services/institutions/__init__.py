"""Designated institutions (定点医药机构), their API keys and signed requests (the contract).

Doors: register (operators; opens the institution's INSTITUTION ledger account), create_key
and issue_key (an API key; issue_key is idempotent by a client key), list_all, authenticate
(the institution behind a signed request; an auth door). Steps other capabilities compose:
get_in (an institution, read once per unit of work), all_in.

- model.py: the command (RegisterInstitution), Institution, the keys (NewKey, IssuedKey) and
  WINDOW_SECONDS.
- store.py: institutions, institution_keys and the request nonces, as typed records.
- service.py: the doors and the steps.

Promises: a code is registered once and never edited; a key's secret is shown once (a
replayed issue_key names the key without it); a signed request is refused when forged, signed
by an unknown or revoked key, more than WINDOW_SECONDS from the server's wall clock, or
replayed (its nonce is remembered per key); nonces too old to replay are forgotten as we go.
"""
