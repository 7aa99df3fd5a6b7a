"""Settlement: catalog, institutions and keys, filings, chronic recognitions, person flags,
switches, visits, fee details, settlements, accumulators, trace-code sales.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 21:41:17.886524
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accumulators",
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("psn_no", "insutype", "year", "name", name=op.f("pk_accumulators")),
    )
    op.create_table(
        "catalog_items",
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("med_list_codg", sa.String(length=30), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("list_type", sa.String(length=3), nullable=False),
        sa.Column("med_chrgitm_type", sa.String(length=2), nullable=False),
        sa.Column("chrgitm_lv", sa.String(length=2), nullable=False),
        sa.Column("selfpay_prop", sa.String(length=8), nullable=False),
        sa.Column("pric_uplmt_amt", sa.BigInteger(), nullable=True),
        sa.Column("lmt_used_flag", sa.Boolean(), nullable=False),
        sa.Column("spec", sa.String(length=100), server_default="", nullable=False),
        sa.Column("unit", sa.String(length=20), server_default="", nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "admdvs", "med_list_codg", "begndate", name=op.f("pk_catalog_items")
        ),
    )
    op.create_index("ix_catalog_items_code", "catalog_items", ["med_list_codg"], unique=False)

    op.create_table(
        "institutions",
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("fixmedins_name", sa.String(length=200), nullable=False),
        sa.Column("fixmedins_type", sa.String(length=1), nullable=False),
        sa.Column("hosp_lv", sa.String(length=1), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("wallet_supported", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("fixmedins_type IN ('1', '2')", name=op.f("ck_institutions_type")),
        sa.PrimaryKeyConstraint("fixmedins_code", name=op.f("pk_institutions")),
    )
    op.create_table(
        "request_nonces",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "nonce", name=op.f("pk_request_nonces")),
    )
    op.create_index("ix_request_nonces_seen_at", "request_nonces", ["seen_at"], unique=False)

    op.create_table(
        "stay_accumulators",
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("mdtrt_id", "name", name=op.f("pk_stay_accumulators")),
    )
    op.create_table(
        "trace_sales",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code_key", sa.String(length=60), nullable=False),
        sa.Column("raw", sa.String(length=128), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=True),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("med_list_codg", sa.String(length=30), nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=True),
        sa.Column("fraction", sa.String(length=24), nullable=False),
        sa.Column("trdn_flag", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sold_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('sold', 'returned')", name=op.f("ck_trace_sales_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_sales")),
    )
    op.create_index("ix_trace_sales_code_key", "trace_sales", ["code_key"], unique=False)
    op.create_index("ix_trace_sales_setl_id", "trace_sales", ["setl_id"], unique=False)

    op.create_table(
        "chronic_recognitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("opsp_dise_code", sa.String(length=20), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("recognized_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_chronic_recognitions_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chronic_recognitions")),
    )
    op.create_index(
        "ix_chronic_recognitions_psn_no", "chronic_recognitions", ["psn_no"], unique=False
    )

    op.create_table(
        "filings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("target_admdvs", sa.String(length=6), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("opsp_dise_code", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'revoked')", name=op.f("ck_filings_status")),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_filings_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filings")),
    )
    op.create_index("ix_filings_psn_no", "filings", ["psn_no"], unique=False)

    op.create_table(
        "institution_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["fixmedins_code"],
            ["institutions.fixmedins_code"],
            name=op.f("fk_institution_keys_fixmedins_code_institutions"),
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_institution_keys")),
    )
    op.create_table(
        "person_flags",
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("flag", sa.String(length=16), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "flag IN ('assistance', 'low_income')", name=op.f("ck_person_flags_flag")
        ),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_person_flags_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("psn_no", "flag", "begndate", name=op.f("pk_person_flags")),
    )
    op.create_table(
        "switches",
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_switches_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("psn_no", "scope", name=op.f("pk_switches")),
    )
    op.create_table(
        "visits",
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("med_type", sa.String(length=4), nullable=False),
        sa.Column("care", sa.String(length=12), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("mdtrt_cert_type", sa.String(length=2), nullable=False),
        sa.Column("ipt_otp_no", sa.String(length=30), nullable=True),
        sa.Column("begntime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endtime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_stay", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("dise_codg", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'cancelled')", name=op.f("ck_visits_status")
        ),
        sa.ForeignKeyConstraint(
            ["fixmedins_code"],
            ["institutions.fixmedins_code"],
            name=op.f("fk_visits_fixmedins_code_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_visits_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("mdtrt_id", name=op.f("pk_visits")),
    )
    op.create_index("ix_visits_psn_no", "visits", ["psn_no"], unique=False)

    op.create_table(
        "fee_details",
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("feedetl_sn", sa.String(length=30), nullable=False),
        sa.Column("med_list_codg", sa.String(length=30), nullable=False),
        sa.Column("medins_list_codg", sa.String(length=30), nullable=True),
        sa.Column("cnt", sa.String(length=20), nullable=False),
        sa.Column("pric", sa.String(length=24), nullable=False),
        sa.Column("det_item_fee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("fee_ocur_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("within_limits", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("trace_codes", sa.Text(), server_default="[]", nullable=False),
        sa.Column("trdn_flag", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'settled', 'cancelled')", name=op.f("ck_fee_details_status")
        ),
        sa.ForeignKeyConstraint(
            ["mdtrt_id"], ["visits.mdtrt_id"], name=op.f("fk_fee_details_mdtrt_id_visits")
        ),
        sa.PrimaryKeyConstraint("mdtrt_id", "feedetl_sn", name=op.f("pk_fee_details")),
    )
    op.create_table(
        "settlements",
        sa.Column("setl_id", sa.String(length=30), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("care", sa.String(length=12), nullable=False),
        sa.Column("medins_setl_id", sa.String(length=30), nullable=True),
        sa.Column("setl_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("medfee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("fund_pay_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("acct_pay", sa.BigInteger(), nullable=False),
        sa.Column("acct_mulaid_pay", sa.BigInteger(), nullable=False),
        sa.Column("psn_cash_pay", sa.BigInteger(), nullable=False),
        sa.Column("clearing_amt", sa.BigInteger(), nullable=False),
        sa.Column("setlinfo", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("cancel_entry_id", sa.String(length=36), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('settled', 'cancelled')", name=op.f("ck_settlements_status")
        ),
        sa.ForeignKeyConstraint(
            ["cancel_entry_id"], ["entries.id"], name=op.f("fk_settlements_cancel_entry_id_entries")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_settlements_entry_id_entries")
        ),
        sa.ForeignKeyConstraint(
            ["mdtrt_id"], ["visits.mdtrt_id"], name=op.f("fk_settlements_mdtrt_id_visits")
        ),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_settlements_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("setl_id", name=op.f("pk_settlements")),
    )
    op.create_index(
        "ix_settlements_clearing",
        "settlements",
        ["insuplc_admdvs", "mdtrtarea_admvs", "setl_time"],
        unique=False,
    )
    op.create_index(
        "ix_settlements_fixmedins", "settlements", ["fixmedins_code", "setl_time"], unique=False
    )
    op.create_index("ix_settlements_psn_no", "settlements", ["psn_no"], unique=False)
    op.create_index(
        "uq_settlements_medins_setl_id",
        "settlements",
        ["fixmedins_code", "medins_setl_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_settlements_medins_setl_id", table_name="settlements")
    op.drop_index("ix_settlements_psn_no", table_name="settlements")
    op.drop_index("ix_settlements_fixmedins", table_name="settlements")
    op.drop_index("ix_settlements_clearing", table_name="settlements")

    op.drop_table("settlements")
    op.drop_table("fee_details")
    op.drop_index("ix_visits_psn_no", table_name="visits")

    op.drop_table("visits")
    op.drop_table("switches")
    op.drop_table("person_flags")
    op.drop_table("institution_keys")
    op.drop_index("ix_filings_psn_no", table_name="filings")

    op.drop_table("filings")
    op.drop_index("ix_chronic_recognitions_psn_no", table_name="chronic_recognitions")

    op.drop_table("chronic_recognitions")
    op.drop_index("ix_trace_sales_setl_id", table_name="trace_sales")
    op.drop_index("ix_trace_sales_code_key", table_name="trace_sales")

    op.drop_table("trace_sales")
    op.drop_table("stay_accumulators")
    op.drop_index("ix_request_nonces_seen_at", table_name="request_nonces")

    op.drop_table("request_nonces")
    op.drop_table("institutions")
    op.drop_index("ix_catalog_items_code", table_name="catalog_items")

    op.drop_table("catalog_items")
    op.drop_table("accumulators")
