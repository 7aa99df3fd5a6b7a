"""A person's rows keyed by the person's region: persons.admdvs is the person's current
insured region ("000000" until the first enrollment), every row of the person carries it in
front of its key, and their foreign keys pair it (a re-home, the first enrollment or a move,
copies the person's rows to the new region and deletes the old). A row about two people goes by
the one whose data it is (a binding by its beneficiary, a proxy by its subject, a transfer by
its sender). Contributions, chronic-disease recognitions and filings are the insured region's
records at the time (no foreign key to the person); idempotency records go by the caller's
region. Issue 20, docs/SCALING.md.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 00:00:00
"""

from gongji.store.migrations.reshape import Fk, Reshape, apply

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

R = "admdvs"
_HOME = ("(SELECT e.insuplc_admdvs FROM enrollments e WHERE e.psn_no = t.psn_no "
         "ORDER BY CASE WHEN e.status = 'active' THEN 0 ELSE 1 END, e.insutype, "
         "e.created_at DESC LIMIT 1)")


def _of(table: str, column: str, key: str) -> str:
    return f"(SELECT o.admdvs FROM {table} o WHERE o.{key} = t.{column})"  # noqa: S608


def _owned(table: str, column: str, target: str, refcolumn: str) -> Fk:
    return Fk(f"fk_{table}_{column}_{target}", (R, column), target, (R, refcolumn))


def _plain(table: str, column: str, target: str, refcolumn: str) -> Fk:
    return Fk(f"fk_{table}_{column}_{target}", (column,), target, (refcolumn,))


def _person(table: str, column: str = "psn_no") -> Fk:
    return _owned(table, column, "persons", "psn_no")


def _old_person(table: str, column: str = "psn_no") -> Fk:
    return _plain(table, column, "persons", "psn_no")


_IDEMPOTENCY = (
    "CASE WHEN t.scope LIKE 'person:%' THEN (SELECT p.admdvs FROM persons p "
    "WHERE p.psn_no = substr(t.scope, 8)) WHEN t.scope LIKE 'institution:%' THEN "
    "(SELECT i.admdvs FROM institutions i WHERE i.fixmedins_code = substr(t.scope, 13)) END")
OPEN = "status IN ('pending', 'active')"

# (table, its person column, its own key after the region) of rows owned by one person
_PERSON_ROWS = (
    ("cards", "psn_no", ("card_no",)), ("credential_uses", "psn_no", ("jti",)),
    ("pins", "psn_no", ("psn_no",)), ("wallets", "psn_no", ("psn_no",)),
    ("switches", "psn_no", ("psn_no", "scope")),
    ("person_flags", "psn_no", ("psn_no", "flag", "begndate")),
    ("accumulators", "psn_no", ("psn_no", "insutype", "year", "name")),
)
_HAD_PERSON_FK = {"cards", "pins", "wallets", "switches", "person_flags"}
# rows of an order: (table, its own key after the region, an index on its old key)
_ORDER_ROWS = (("pay_refunds", ("pay_ord_id", "app_refd_sn"), None),
               ("cash_payments", ("id",), "ix_cash_payments_id"),
               ("pay_notifications", ("id",), "ix_pay_notifications_id"))

_LOOKUPS = {  # lookups by a row's own key, now that the region leads the primary key
    "pins": ("ix_pins_psn_no", ('psn_no',)),
    "wallets": ("ix_wallets_psn_no", ('psn_no',)),
    "switches": ("ix_switches_psn_no", ('psn_no', 'scope')),
    "person_flags": ("ix_person_flags_psn_no", ('psn_no',)),
    "accumulators": ("ix_accumulators_psn_no", ('psn_no', 'insutype', 'year')),
    "credential_uses": ("ix_credential_uses_jti", ('jti',)),
    "prescription_items": ("ix_prescription_items_hi_rxno", ('hi_rxno',)),
    "pay_refunds": ("ix_pay_refunds_pay_ord_id", ('pay_ord_id', 'app_refd_sn')),
    "contributions": ("ix_contributions_psn_no", ('psn_no', 'insutype', 'year')),
}

UP = (
    Reshape("persons", add=R, fill=_HOME, pk=(R, "psn_no"), drop_uniques=("uq_persons_certno",),
            add_uniques=(("uq_persons_admdvs_certno", (R, "certno")),),
            add_indexes=(("ix_persons_psn_no", ("psn_no",)), ("ix_persons_certno", ("certno",)))),
    Reshape("enrollments", add=R, fill=_of("persons", "psn_no", "psn_no"), pk=(R, "id"),
            drop_fks=("fk_enrollments_psn_no_persons",), add_fks=(_person("enrollments"),),
            drop_indexes=("uq_enrollments_active",),
            add_indexes=(("ix_enrollments_id", ("id",)),),
            add_partial_uniques=(("uq_enrollments_active", (R, "psn_no", "insutype"),
                                  "status = 'active'"),)),
    *(Reshape(t, add=R, fill=_of("persons", col, "psn_no"), pk=(R, *key),
              drop_fks=(f"fk_{t}_{col}_persons",) if t in _HAD_PERSON_FK else (),
              add_fks=(_person(t, col),))
      for t, col, key in _PERSON_ROWS),
    Reshape("cards", add_indexes=(("ix_cards_card_no", ("card_no",)),)),
    Reshape("proxies", add=R, fill=_of("persons", "subject_psn_no", "psn_no"), pk=(R, "id"),
            drop_fks=("fk_proxies_holder_psn_no_persons", "fk_proxies_subject_psn_no_persons"),
            add_fks=(_person("proxies", "subject_psn_no"),), drop_indexes=("uq_proxies_open",),
            add_indexes=(("ix_proxies_id", ("id",)), ("ix_proxies_holder", ("holder_psn_no",))),
            add_partial_uniques=(("uq_proxies_open", (R, "holder_psn_no", "subject_psn_no"),
                                  OPEN),)),
    Reshape("bindings", add=R, fill=_of("persons", "beneficiary_psn_no", "psn_no"),
            pk=(R, "id"),
            drop_fks=("fk_bindings_sponsor_psn_no_persons",
                      "fk_bindings_beneficiary_psn_no_persons"),
            add_fks=(_person("bindings", "beneficiary_psn_no"),),
            drop_indexes=("uq_bindings_open",),
            add_indexes=(("ix_bindings_id", ("id",)), ("ix_bindings_sponsor", ("sponsor_psn_no",))),
            add_partial_uniques=(("uq_bindings_open",
                                  (R, "sponsor_psn_no", "beneficiary_psn_no"), OPEN),)),
    Reshape("wallet_transfers", add=R, fill=_of("persons", "sender_psn_no", "psn_no"),
            pk=(R, "id"),
            drop_fks=("fk_wallet_transfers_sender_psn_no_persons",
                      "fk_wallet_transfers_receiver_psn_no_persons",
                      "fk_wallet_transfers_binding_id_bindings"),
            add_fks=(_person("wallet_transfers", "sender_psn_no"),),
            drop_uniques=("uq_wallet_transfers_hold_id",),
            add_uniques=(("uq_wallet_transfers_admdvs_hold_id", (R, "hold_id")),),
            add_indexes=(("ix_wallet_transfers_id", ("id",)),)),
    Reshape("contributions", pk=(R, "id"),
            drop_fks=("fk_contributions_psn_no_persons", "fk_contributions_payer_psn_no_persons"),
            drop_uniques=("uq_contributions_psn_no_insutype_year",),
            add_uniques=(("uq_contributions_admdvs_psn_no_insutype_year",
                          (R, "psn_no", "insutype", "year")),),
            add_indexes=(("ix_contributions_id", ("id",)),)),
    Reshape("chronic_recognitions", pk=(R, "id"),
            drop_fks=("fk_chronic_recognitions_psn_no_persons",),
            add_indexes=(("ix_chronic_recognitions_id", ("id",)),)),
    Reshape("filings", pk=("insuplc_admdvs", "id"), drop_fks=("fk_filings_psn_no_persons",),
            add_indexes=(("ix_filings_id", ("id",)),)),
    Reshape("prescriptions", add=R, fill=_of("persons", "psn_no", "psn_no"), pk=(R, "hi_rxno"),
            drop_fks=("fk_prescriptions_psn_no_persons",), add_fks=(_person("prescriptions"),),
            add_indexes=(("ix_prescriptions_hi_rxno", ("hi_rxno",)),)),
    Reshape("prescription_items", add=R, fill=_of("prescriptions", "hi_rxno", "hi_rxno"),
            pk=(R, "hi_rxno", "med_list_codg"),
            drop_fks=("fk_prescription_items_hi_rxno_prescriptions",),
            add_fks=(_owned("prescription_items", "hi_rxno", "prescriptions", "hi_rxno"),)),
    Reshape("pay_auths", add=R, fill=_of("persons", "psn_no", "psn_no"), pk=(R, "pay_auth_no"),
            drop_fks=("fk_pay_auths_psn_no_persons",), add_fks=(_person("pay_auths"),),
            add_indexes=(("ix_pay_auths_pay_auth_no", ("pay_auth_no",)),)),
    Reshape("pay_orders", add=R, fill=_of("pay_auths", "pay_auth_no", "pay_auth_no"),
            pk=(R, "pay_ord_id"),
            drop_fks=("fk_pay_orders_pay_auth_no_pay_auths", "fk_pay_orders_psn_no_persons"),
            add_fks=(_owned("pay_orders", "pay_auth_no", "pay_auths", "pay_auth_no"),),
            drop_uniques=("uq_pay_orders_fixmedins_code_med_org_ord",),
            add_uniques=(("uq_pay_orders_admdvs_fixmedins_code_med_org_ord",
                          (R, "fixmedins_code", "med_org_ord")),),
            add_indexes=(("ix_pay_orders_pay_ord_id", ("pay_ord_id",)),
                         ("ix_pay_orders_order", ("fixmedins_code", "med_org_ord")))),
    *(Reshape(t, add=R, fill=_of("pay_orders", "pay_ord_id", "pay_ord_id"), pk=(R, *key),
              drop_fks=(f"fk_{t}_pay_ord_id_pay_orders",),
              add_fks=(_owned(t, "pay_ord_id", "pay_orders", "pay_ord_id"),),
              add_indexes=((ix, key),) if ix else ())
      for t, key, ix in _ORDER_ROWS),
    Reshape("idempotency", add=R, fill=_IDEMPOTENCY, pk=(R, "scope", "key")),
    *(Reshape(t, add_indexes=(ix,)) for t, ix in _LOOKUPS.items()),
)

DOWN = (
    *(Reshape(t, drop_indexes=(ix[0],)) for t, ix in _LOOKUPS.items()),
    Reshape("idempotency", drop_columns=(R,), pk=("scope", "key")),
    *(Reshape(t, drop_columns=(R,), pk=key, drop_fks=(f"fk_{t}_pay_ord_id_pay_orders",),
              add_fks=(_plain(t, "pay_ord_id", "pay_orders", "pay_ord_id"),),
              drop_indexes=(ix,) if ix else ())
      for t, key, ix in _ORDER_ROWS),
    Reshape("pay_orders", drop_columns=(R,), pk=("pay_ord_id",),
            drop_fks=("fk_pay_orders_pay_auth_no_pay_auths",),
            add_fks=(_plain("pay_orders", "pay_auth_no", "pay_auths", "pay_auth_no"),
                     _old_person("pay_orders")),
            drop_uniques=("uq_pay_orders_admdvs_fixmedins_code_med_org_ord",),
            add_uniques=(("uq_pay_orders_fixmedins_code_med_org_ord",
                          ("fixmedins_code", "med_org_ord")),),
            drop_indexes=("ix_pay_orders_pay_ord_id", "ix_pay_orders_order")),
    Reshape("pay_auths", drop_columns=(R,), pk=("pay_auth_no",),
            drop_fks=("fk_pay_auths_psn_no_persons",), add_fks=(_old_person("pay_auths"),),
            drop_indexes=("ix_pay_auths_pay_auth_no",)),
    Reshape("prescription_items", drop_columns=(R,), pk=("hi_rxno", "med_list_codg"),
            drop_fks=("fk_prescription_items_hi_rxno_prescriptions",),
            add_fks=(_plain("prescription_items", "hi_rxno", "prescriptions", "hi_rxno"),)),
    Reshape("prescriptions", drop_columns=(R,), pk=("hi_rxno",),
            drop_fks=("fk_prescriptions_psn_no_persons",),
            add_fks=(_old_person("prescriptions"),),
            drop_indexes=("ix_prescriptions_hi_rxno",)),
    Reshape("filings", pk=("id",), add_fks=(_old_person("filings"),),
            drop_indexes=("ix_filings_id",)),
    Reshape("chronic_recognitions", pk=("id",),
            add_fks=(_old_person("chronic_recognitions"),),
            drop_indexes=("ix_chronic_recognitions_id",)),
    Reshape("contributions", pk=("id",),
            add_fks=(_old_person("contributions"), _old_person("contributions", "payer_psn_no")),
            drop_uniques=("uq_contributions_admdvs_psn_no_insutype_year",),
            add_uniques=(("uq_contributions_psn_no_insutype_year",
                          ("psn_no", "insutype", "year")),),
            drop_indexes=("ix_contributions_id",)),
    Reshape("wallet_transfers", drop_columns=(R,), pk=("id",),
            drop_fks=("fk_wallet_transfers_sender_psn_no_persons",),
            add_fks=(_old_person("wallet_transfers", "sender_psn_no"),
                     _old_person("wallet_transfers", "receiver_psn_no"),
                     _plain("wallet_transfers", "binding_id", "bindings", "id")),
            drop_uniques=("uq_wallet_transfers_admdvs_hold_id",),
            add_uniques=(("uq_wallet_transfers_hold_id", ("hold_id",)),),
            drop_indexes=("ix_wallet_transfers_id",)),
    Reshape("bindings", drop_columns=(R,), pk=("id",),
            drop_fks=("fk_bindings_beneficiary_psn_no_persons",),
            add_fks=(_old_person("bindings", "sponsor_psn_no"),
                     _old_person("bindings", "beneficiary_psn_no")),
            drop_indexes=("uq_bindings_open", "ix_bindings_id", "ix_bindings_sponsor"),
            add_partial_uniques=(("uq_bindings_open", ("sponsor_psn_no", "beneficiary_psn_no"),
                                  OPEN),)),
    Reshape("proxies", drop_columns=(R,), pk=("id",),
            drop_fks=("fk_proxies_subject_psn_no_persons",),
            add_fks=(_old_person("proxies", "holder_psn_no"),
                     _old_person("proxies", "subject_psn_no")),
            drop_indexes=("uq_proxies_open", "ix_proxies_id", "ix_proxies_holder"),
            add_partial_uniques=(("uq_proxies_open", ("holder_psn_no", "subject_psn_no"),
                                  OPEN),)),
    Reshape("cards", drop_indexes=("ix_cards_card_no",)),
    *(Reshape(t, drop_columns=(R,), pk=key, drop_fks=(f"fk_{t}_{col}_persons",),
              add_fks=(_old_person(t, col),) if t in _HAD_PERSON_FK else ())
      for t, col, key in _PERSON_ROWS),
    Reshape("enrollments", drop_columns=(R,), pk=("id",),
            drop_fks=("fk_enrollments_psn_no_persons",),
            add_fks=(_old_person("enrollments"),),
            drop_indexes=("uq_enrollments_active", "ix_enrollments_id"),
            add_partial_uniques=(("uq_enrollments_active", ("psn_no", "insutype"),
                                  "status = 'active'"),)),
    Reshape("persons", drop_columns=(R,), pk=("psn_no",),
            drop_uniques=("uq_persons_admdvs_certno",),
            add_uniques=(("uq_persons_certno", ("certno",)),),
            drop_indexes=("ix_persons_psn_no", "ix_persons_certno")),
)


def upgrade() -> None:
    apply(UP)


def downgrade() -> None:
    apply(DOWN)
