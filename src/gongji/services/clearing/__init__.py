"""Clearing between regions and reconciliation with institutions (the contract).

Doors: statement (operators) and statement_of, a month's obligations between regions; totals,
an institution's settled totals; reconcile (对总账, REST /reconciliation and 3201) and
reconcile_lines (对明细账, 3202: the institution's uploaded file against ours, the differences
stored as a file for 9102). Reports compose statement_in; FHIR calls statement_of and
month_bounds.

- model.py: the statement's pair lines, the totals, a claim and its reconciliation.
- store.py: what it reads of the settlements table (it writes no table of its own).
- service.py: the doors: periods in Asia/Shanghai days, the comparisons.

Promises: only settled settlements count in a statement or totals, and a statement only
those whose care region is not the insured region (the insured region owes what the care
region advanced, clearing_amt); periods are Asia/Shanghai days; amounts are compared to the
fen; reconcile_lines is idempotent by key.
"""
