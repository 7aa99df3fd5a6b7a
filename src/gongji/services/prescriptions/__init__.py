"""Electronic prescriptions (电子处方): a hospital issues one to a person; an order of
prescription drugs is filled from it once (the contract).

Doors: issue and revoke (the issuing hospital), get (the issuer, the filler, the person, their
proxy holder, operators; anyone else is told it does not exist), list_for (the person's side).
The mobile-payment core composes check_in, fill_in and unfill_in in its own unit of work.

- model.py: what issue takes (IssuePrescription) and what the doors give (PrescriptionView).
- store.py: the prescriptions and prescription_items rows, the fill's row lock.
- service.py: the doors and the steps; the rules are domain/prescriptions.py.

Promises: valid the day of issue, at most 3 days (《处方管理办法》第十八条, policy data);
filled once, by the person it names, for what it names in at most its quantities; two fills
at once: one wins, the other is RX_ALREADY_FILLED; a refund of the order that filled it gives
it back; a prescription drug (not OTC by the catalog's otc_flag) is never sold without one;
each write is idempotent by client key and audited.
"""
