"""Settlement at designated hospitals and pharmacies (the contract).

Doors (one request each; REST, the national gateway and the demo cashier call the same ones):
open_visit, update_visit, discharge, cancel_visit, person_info, upload_fees, cancel_fees,
pre_settle, settle, quote_purchase, purchase, cancel, reverse (冲正 by message id), get,
list_for_person, accumulations.

- model.py: the commands and the views (the setlinfo amounts are domain.settlement.Setlinfo).
- service.py: the doors, and each settlement as load, decide (domain), write.
- store.py: the tables, as typed records; the stored settlement (`Outcome`) is what cancel
  and 冲正 undo from.

Promises: one ledger entry per settlement, its mirror on cancel; accumulators move with it;
a box's trace code is sold once; one person's settlements queue (deductibles used once);
a message id settles once, and its 冲正 undoes exactly what it did.
"""

from gongji.services.settlement.model import (
    CARE_GROUPS,
    MED_TYPES,
    Accumulation,
    Credential,
    DetailView,
    FeeIn,
    LineView,
    MessageKind,
    OpenVisit,
    PaymentView,
    PersonInfo,
    Refund,
    Reversal,
    SettleAsk,
    SettlementView,
    Uploaded,
    VisitView,
)
from gongji.services.settlement.service import (
    accumulations,
    cancel,
    cancel_fees,
    cancel_in,
    cancel_visit,
    cancel_visit_in,
    discharge,
    fees_in,
    get,
    get_in,
    list_for_person,
    open_in,
    open_visit,
    person_info,
    person_info_in,
    pre_settle,
    presettle_in,
    purchase,
    quote_purchase,
    reverse_by_msgid,
    settle,
    settle_in,
    update_visit,
    upload_fees,
    upload_in,
    view_in,
    views_of_person,
    visit_in,
)

__all__ = [
    "CARE_GROUPS", "MED_TYPES", "Accumulation", "Credential", "DetailView", "FeeIn",
    "LineView", "MessageKind", "OpenVisit", "PaymentView", "PersonInfo", "Refund",
    "Reversal", "SettleAsk", "SettlementView", "Uploaded", "VisitView", "accumulations",
    "cancel", "cancel_fees", "cancel_in", "cancel_visit", "cancel_visit_in", "discharge",
    "fees_in", "get", "get_in", "list_for_person", "open_in", "open_visit", "person_info",
    "person_info_in",
    "pre_settle", "presettle_in", "purchase", "quote_purchase", "reverse_by_msgid", "settle",
    "settle_in", "update_visit", "upload_fees", "upload_in", "view_in", "views_of_person",
    "visit_in",
]
