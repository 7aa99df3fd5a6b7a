"""Family proxies (亲情账户, the contract): one person holds a relative's insurance code and
helps them.

Doors: request (the holder names the relative by ID number and name), decide (the adult
relative consents; for a minor an operator approves after checking documents), end (either
side, or an operator), list_for, pending_for_operators. The portal, the console and auth
compose views_of and pending_in; the access kernel reads held_proxies (store.py).

- model.py: the request (RequestProxy) and the view (ProxyView, names masked).
- store.py: the proxies table, and held_proxies for services/access.py.
- service.py: the doors and the steps: who may ask, decide and end.

Promises: one open (pending or active) proxy per holder and relative, never over oneself;
a stranger is refused before learning any state; only an active proxy lets its holder act;
every write is idempotent by key and audited.
"""
