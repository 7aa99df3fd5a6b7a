"""Out-of-area filing (异地备案), chronic/special disease recognition, and a person's
authorization switches (the contract).

Doors: file and revoke (the person or their proxy; a hospital files referral and emergency
care, 2501), recognize and withdraw_recognition (an operator or the recognising hospital,
2503/2504), recognitions (5301), designations (5302: none), referrals (5304),
list_for, set_switch.
Settlement composes filing_for, recognised and switch_on; the portal composes views_of and
switch_on.

- model.py: a filing asked for (File), a filing (FilingView), a recognition, SWITCH_SCOPES.
- store.py: the filings, chronic_recognitions and switches tables.
- service.py: the doors and the steps: who may file what, which filing covers a visit.

Promises: a filing targets another region than the insured one, once per target and disease
while active; a chronic filing needs the disease recognised; every write is idempotent by key
and audited; a filing is revoked, never deleted.
"""
