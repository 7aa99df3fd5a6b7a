"""What each page of the family portal shows (the contract): one door per page, each read in
one unit of work.

Doors (persons): me (every page's header), home, code (a fresh insurance code, the one
write: it is issued), family_page, wallet_page, transfer_page, history, statement_page
(收支明细), explained (a settlement, every yuan), more; trace (the public check of a drug
trace code; anyone), where (where the wallet is accepted; anyone).

- model.py: the pages (Home, CodePage, FamilyPage, WalletPage, TransferPage, History,
  StatementPage, Explained, More, TraceCheck, WherePage) and their parts (Relative, Binding,
  Paid); every page's `me` is a Me: the person masked, with what waits for them by tab
  (Waiting: bindings to consent to, transfers to accept, proxy requests to approve), for the
  tabs' badges. Home lists those actions themselves.
- service.py: the doors, composing the people, wallet, transfers, family, proxies, filing,
  contributions, settlement, statement, explanation, credentials, pins and tracing
  capabilities. No store.py: the portal has no table and no SQL of its own.

Promises: persons only (anyone else is FORBIDDEN, but for trace and where); a page's numbers
come from one snapshot, so a balance and the transfers beside it agree; everything shown is the
caller's own or a relative's they hold an active proxy for (亲情账户); personal data leaves masked;
forms post to the capabilities' own doors, not here.
"""
