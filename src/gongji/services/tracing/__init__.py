"""Drug trace codes (追溯码): what happened to a box, and pharmacies' sale records (the
contract).

Doors: query (public: a box's state; a signed-in person also learns whether it was sold to
them), record_sale (3505) and return_sale (3506), for institutions. Settlement composes
record_sale_in and return_sale_in.

- model.py: a sale or return as asked (SaleIn), what it did (Sale), the query's answer.
- store.py: the trace_sales rows of a box, a sale recorded, a pharmacy's sales returned.
- service.py: the doors, and the sale checks (sold before? by this settlement? split?).

Promises: a box is sold once (a split box, 拆零, up to its whole and to split sales only);
codes a settlement already recorded are accepted again for that settlement, never counted
twice; a pharmacy returns only its own sales; each record is idempotent by key.
"""
