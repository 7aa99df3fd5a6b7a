"""Reading the audit log (the contract): search by subject, action and day, a page at a time.

Doors (operators): search (a page of records, newest first, with the actions recorded so far)
and actions (the search form's suggestions). The log itself is written by every write's unit
of work (gongji.ledger.audit); nothing here writes it.

- model.py: the query, a record as it leaves (masked), a page.
- store.py: the audit_log reads, as the rows are stored.
- service.py: the doors: the query checked, each record masked on the way out.

Promises: operators only; a subject matches as stored (scrubbed); an action ending in "."
matches its family; days are Asia/Shanghai; what leaves is masked once more (a token holder's
name, anything that looks like an ID number or a phone), so no personal data leaves through
the console.
"""
