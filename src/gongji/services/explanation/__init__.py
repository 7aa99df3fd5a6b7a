"""Every yuan of a settlement explained, for the person who paid it (the contract).

No door of its own: the portal's explained page composes explain (inside its unit of work)
on a settlement view; bilingual and percent are pure helpers the pages use too.

- model.py: the explanation: its lines (LineStep) and word-keyed steps (Step), CLASSES.
- service.py: explain, from a SettlementView; bilingual, percent.

Promises: nothing here decides an amount, it only reads what settlement decided; the fees'
split and the payers each sum to the visit's total, your part's steps to psn_part_amt;
percentages are exact decimals (no float); sponsors are named masked.
"""
