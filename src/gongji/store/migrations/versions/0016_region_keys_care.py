"""Care, settlement and institution records keyed by region: visits, fee lines, settlements,
stay accumulators, hand claims and their lines by the insured region at the time of care
(insuplc_admdvs); an institution's message ids, invoices, untraced stock, gateway sign-ins and
files and conformance records by the institution's region (admdvs); trace-code sales by the
code. Foreign keys that would cross regions (a visit's or settlement's person, whose rows are
in the person's own region; a claimed invoice's claim; an online order's visit) are dropped,
as are sessions' and one-time codes' (kept by the node that serves the caller). Issue 20,
docs/SCALING.md.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 00:00:00
"""

from gongji.store.migrations.reshape import Fk, Reshape, apply

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

I = "insuplc_admdvs"  # noqa: E741 - the insured region, the national field's name
R = "admdvs"
_OF_VISIT = "(SELECT v.insuplc_admdvs FROM visits v WHERE v.mdtrt_id = t.mdtrt_id)"
_OF_CLAIM = "(SELECT c.insuplc_admdvs FROM claims c WHERE c.claim_id = t.claim_id)"
_CARE_OF_CLAIM = "(SELECT c.mdtrtarea_admvs FROM claims c WHERE c.claim_id = t.claim_id)"
_OF_INSTITUTION = ("(SELECT i.admdvs FROM institutions i "
                   "WHERE i.fixmedins_code = t.fixmedins_code)")
_BY_INSTITUTION = ("untraced_stock", "gateway_signins", "gateway_files", "conformance_messages")
_OWN_KEY = {"untraced_stock": "id", "gateway_signins": "sign_no",
            "gateway_files": "file_qury_no", "conformance_messages": "id"}


def _visit_fk(table: str) -> Fk:
    return Fk(f"fk_{table}_mdtrt_id_visits", (I, "mdtrt_id"), "visits", (I, "mdtrt_id"))


def _plain(table: str, column: str, target: str, refcolumn: str) -> Fk:
    return Fk(f"fk_{table}_{column}_{target}", (column,), target, (refcolumn,))


_PERSON_FKS = {t: _plain(t, "psn_no", "persons", "psn_no")
               for t in ("visits", "settlements", "claims", "otps", "sessions")}

_LOOKUPS = {  # lookups by a row's own key, now that the region leads the primary key
    "stay_accumulators": ("ix_stay_accumulators_mdtrt_id", ('mdtrt_id',)),
    "medins_setl_ids": ("ix_medins_setl_ids_message", ('fixmedins_code', 'medins_setl_id')),
}

UP = (
    Reshape("visits", pk=(I, "mdtrt_id"), drop_fks=(_PERSON_FKS["visits"].name,),
            add_indexes=(("ix_visits_mdtrt_id", ("mdtrt_id",)),)),
    Reshape("fee_details", add=I, fill=_OF_VISIT, pk=(I, "mdtrt_id", "feedetl_sn"),
            drop_fks=("fk_fee_details_mdtrt_id_visits",), add_fks=(_visit_fk("fee_details"),),
            add_indexes=(("ix_fee_details_mdtrt_id", ("mdtrt_id",)),)),
    Reshape("settlements", pk=(I, "setl_id"),
            drop_fks=("fk_settlements_mdtrt_id_visits", _PERSON_FKS["settlements"].name),
            add_fks=(_visit_fk("settlements"),),
            drop_indexes=("uq_settlements_medins_setl_id",),
            add_indexes=(("ix_settlements_setl_id", ("setl_id",)),
                         ("ix_settlements_medins_setl_id", ("fixmedins_code", "medins_setl_id"))),
            add_unique_indexes=(("uq_settlements_region_medins_setl_id",
                                 (I, "fixmedins_code", "medins_setl_id")),)),
    Reshape("stay_accumulators", add=I, fill=_OF_VISIT, pk=(I, "mdtrt_id", "name"),
            add_fks=(_visit_fk("stay_accumulators"),)),
    Reshape("claims", pk=(I, "claim_id"), drop_fks=(_PERSON_FKS["claims"].name,),
            add_indexes=(("ix_claims_claim_id", ("claim_id",)),)),
    Reshape("claim_lines", add=I, fill=_OF_CLAIM, pk=(I, "claim_id", "feedetl_sn"),
            drop_fks=("fk_claim_lines_claim_id_claims",),
            add_fks=(Fk("fk_claim_lines_claim_id_claims", (I, "claim_id"), "claims",
                        (I, "claim_id")),),
            add_indexes=(("ix_claim_lines_claim_id", ("claim_id",)),)),
    Reshape("claim_invoices", add=R, fill=_CARE_OF_CLAIM, pk=(R, "fixmedins_code", "invoice_no"),
            drop_fks=("fk_claim_invoices_claim_id_claims",),
            add_indexes=(("ix_claim_invoices_claim_id", ("claim_id",)),)),
    Reshape("medins_setl_ids", add=R, fill=_OF_INSTITUTION,
            pk=(R, "fixmedins_code", "medins_setl_id")),
    *(Reshape(t, add=R, fill=_OF_INSTITUTION, pk=(R, _OWN_KEY[t]),
              add_indexes=((f"ix_{t}_{_OWN_KEY[t]}", (_OWN_KEY[t],)),))
      for t in _BY_INSTITUTION),
    Reshape("conformance_recordings", add=R, fill=_OF_INSTITUTION, pk=(R, "fixmedins_code"),
            add_indexes=(("ix_conformance_recordings_fixmedins_code", ("fixmedins_code",)),)),
    Reshape("trace_sales", pk=("code_key", "id"), drop_indexes=("ix_trace_sales_code_key",),
            add_indexes=(("ix_trace_sales_id", ("id",)),)),
    Reshape("otps", drop_fks=(_PERSON_FKS["otps"].name,)),
    Reshape("sessions", drop_fks=(_PERSON_FKS["sessions"].name,)),
    Reshape("pay_orders", drop_fks=("fk_pay_orders_mdtrt_id_visits",)),
    *(Reshape(t, add_indexes=(ix,)) for t, ix in _LOOKUPS.items()),
)

DOWN = (
    *(Reshape(t, drop_indexes=(ix[0],)) for t, ix in _LOOKUPS.items()),
    Reshape("visits", pk=("mdtrt_id",), add_fks=(_PERSON_FKS["visits"],),
            drop_indexes=("ix_visits_mdtrt_id",)),
    Reshape("fee_details", drop_columns=(I,), pk=("mdtrt_id", "feedetl_sn"),
            drop_fks=("fk_fee_details_mdtrt_id_visits",),
            add_fks=(_plain("fee_details", "mdtrt_id", "visits", "mdtrt_id"),),
            drop_indexes=("ix_fee_details_mdtrt_id",)),
    Reshape("settlements", pk=("setl_id",), drop_fks=("fk_settlements_mdtrt_id_visits",),
            add_fks=(_plain("settlements", "mdtrt_id", "visits", "mdtrt_id"),
                     _PERSON_FKS["settlements"]),
            drop_indexes=("ix_settlements_setl_id", "ix_settlements_medins_setl_id",
                          "uq_settlements_region_medins_setl_id"),
            add_unique_indexes=(("uq_settlements_medins_setl_id",
                                 ("fixmedins_code", "medins_setl_id")),)),
    Reshape("stay_accumulators", drop_columns=(I,), pk=("mdtrt_id", "name"),
            drop_fks=("fk_stay_accumulators_mdtrt_id_visits",)),
    Reshape("claims", pk=("claim_id",), add_fks=(_PERSON_FKS["claims"],),
            drop_indexes=("ix_claims_claim_id",)),
    Reshape("claim_lines", drop_columns=(I,), pk=("claim_id", "feedetl_sn"),
            drop_fks=("fk_claim_lines_claim_id_claims",),
            add_fks=(_plain("claim_lines", "claim_id", "claims", "claim_id"),),
            drop_indexes=("ix_claim_lines_claim_id",)),
    Reshape("claim_invoices", drop_columns=(R,), pk=("fixmedins_code", "invoice_no"),
            add_fks=(_plain("claim_invoices", "claim_id", "claims", "claim_id"),),
            drop_indexes=("ix_claim_invoices_claim_id",)),
    Reshape("medins_setl_ids", drop_columns=(R,), pk=("fixmedins_code", "medins_setl_id")),
    *(Reshape(t, drop_columns=(R,), pk=(_OWN_KEY[t],),
              drop_indexes=(f"ix_{t}_{_OWN_KEY[t]}",))
      for t in _BY_INSTITUTION),
    Reshape("conformance_recordings", drop_columns=(R,), pk=("fixmedins_code",),
            drop_indexes=("ix_conformance_recordings_fixmedins_code",)),
    Reshape("trace_sales", pk=("id",), drop_indexes=("ix_trace_sales_id",),
            add_indexes=(("ix_trace_sales_code_key", ("code_key",)),)),
    Reshape("otps", add_fks=(_PERSON_FKS["otps"],)),
    Reshape("sessions", add_fks=(_PERSON_FKS["sessions"],)),
    Reshape("pay_orders", add_fks=(_plain("pay_orders", "mdtrt_id", "visits", "mdtrt_id"),)),
)


def upgrade() -> None:
    apply(UP)


def downgrade() -> None:
    apply(DOWN)
