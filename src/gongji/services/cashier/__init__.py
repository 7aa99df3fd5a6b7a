"""The demo cashier (收费台) in the sandbox (the contract): an operator acts as the cashier of
a registered institution and runs a sale the way its HIS would through the national
interface.

Doors (operators, sandbox only): choices and choose (the institution), sale_page (the form,
after a row added, an item picked or sandbox trace codes filled), presettle (computed and
rolled back), settle, receipt, cancel.

- model.py: the form as typed (Draft, Row: mutable, carried from page to page), the pages
  (Choice, SalePage, Quote, Receipt) and who paid (Payer); what a counter settles (MED_TYPES).
- service.py: the doors: the form turned into the settlement's commands as a HIS builds
  them. No store.py: it reads and writes only through the settlement, catalog, institutions
  and people capabilities.

Promises: SANDBOX_ONLY outside the sandbox; every call acts in the institution's name
(Principal("institution", code)) through the settlement's own doors, so it sees and cancels
only that institution's settlements; settle sends exactly what was pre-settled and is refused
if the total the cashier saw changed; nothing here decides an amount; a refusal names the
form field it belongs beside (params["where"]).
"""
