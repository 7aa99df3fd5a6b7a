"""收支明细: the statement of every account a person holds or gave.

Doors: statement (a person's, or a relative's they hold a proxy for: one month of
movements, newest first).

- model.py: Statement, its Books (the personal account, wallet quota held from each sponsor,
  quota given to each relative) and Lines (a movement with its cause and the balance after).
- store.py: the reads (movements of a month, what moved since, the months around, the
  transfer behind a hold); nothing written.
- service.py: the door and given_in (quota outstanding with relatives, for the home page).

Promises: every line is a posting of the journal on one of the books shown, so a book's
opening balance plus its lines is its closing balance, and the latest month closes at the
balance the ledger holds; causes name the counterpart masked; money is fen.
"""
