"""Settlement at designated hospitals and pharmacies (the contract).

Doors (one request each; REST, the national gateway and the demo cashier call the same ones):
open_visit, update_visit, discharge, cancel_visit, person_info, upload_fees, cancel_fees,
pre_settle, settle, quote_purchase, purchase, cancel, reverse (冲正 by message id), get,
list_for_person, accumulations; the HIS's queries treatment_check (2001), visits (5201),
fee_lines (5204), chronic_medication (5205), open_stays (5303).

- model.py: the commands and the views (the setlinfo amounts are domain.settlement.Setlinfo).
- service.py: the doors, and each settlement as load, decide (domain), write.
- store.py: the tables, as typed records; the stored settlement (`Outcome`) is what cancel
  and 冲正 undo from.

Promises: one ledger entry per settlement, its mirror on cancel; accumulators move with it;
a box's trace code is sold once; one person's settlements queue (deductibles used once);
a message id settles once, and its 冲正 undoes exactly what it did; wallet quota pays only
where the institution takes the wallet, and where it does not the settlement names what the
quota would have paid (quota_not_accepted).
"""
