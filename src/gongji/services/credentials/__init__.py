"""E-credentials: the insurance code (医保码) and social security cards (the contract).

Doors: issue_code (a fresh code, to the person or a proxy they approved), check_code (an
institution redeems a code and learns whose it is), issue_card. Steps other capabilities
compose in their unit of work: issue_in, redeem; and secret, used_by, mark_used and
person_by_card, which take a connection (store.py, re-exported by service.py).

- model.py: what the doors give (Redeemed, Card).
- store.py: the server secrets, the used codes (credential_uses) and the cards.
- service.py: the doors and the steps.

Promises: a code is signed with a server secret made once and shared by every worker; it
expires (the insured region's code_ttl_seconds) and is used up once, inside the unit of
work of what it guards (a refused settlement leaves it usable); a new card replaces the
person's valid one (it is marked lost), and the audit trail keeps only its last four.
"""
