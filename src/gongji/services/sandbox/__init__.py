"""The sandbox test clock (the contract): an operator sets or advances business time, so a
vendor can try 21:59 -> 22:00 -> next 06:00 without waiting.

Doors (operators, sandbox only: SANDBOX_ONLY elsewhere): now, move (set or advance), move_once
(a form's move, idempotent by key). The composition root calls resume at start.

- model.py: the clock's limits (MAX_ADVANCE_SECONDS).
- store.py: the clock's kept position (app_state) and the latest journal entry's time.
- service.py: the doors, and resume.

Promises: the clock never goes backwards (CLOCK_BACKWARDS); holds that come due are returned
at once, by the ledger's sweep; a restarted sandbox resumes where it was, never before the
latest entry; a form submitted twice moves the clock once.
"""
