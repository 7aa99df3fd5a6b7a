"""Hand claims (手工报销, issue 17): a claim, its fee lines with the review's admitted
quantities, and the invoices claimed (one live claim per invoice).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("claim_id", sa.String(length=30), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("med_type", sa.String(length=6), nullable=False),
        sa.Column("care", sa.String(length=12), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=False),
        sa.Column("dise_codg", sa.String(length=30), nullable=False),
        sa.Column("dise_name", sa.String(length=100), nullable=False),
        sa.Column("invoice_no", sa.String(length=40), nullable=False),
        sa.Column("medfee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("bank_name", sa.String(length=60), nullable=False),
        sa.Column("bank_acct", sa.String(length=30), nullable=False),
        sa.Column("acct_used", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("submitted_by", sa.String(length=60), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=60), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("reimbursed", sa.BigInteger(), nullable=True),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("pay_entry_id", sa.String(length=36), nullable=True),
        sa.Column("cancel_entry_id", sa.String(length=36), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'refused', 'paid', 'cancelled')",
            name=op.f("ck_claims_status")),
        sa.ForeignKeyConstraint(["psn_no"], ["persons.psn_no"],
                                name=op.f("fk_claims_psn_no_persons")),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"],
                                name=op.f("fk_claims_entry_id_entries")),
        sa.ForeignKeyConstraint(["pay_entry_id"], ["entries.id"],
                                name=op.f("fk_claims_pay_entry_id_entries")),
        sa.ForeignKeyConstraint(["cancel_entry_id"], ["entries.id"],
                                name=op.f("fk_claims_cancel_entry_id_entries")),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_claims")),
    )
    op.create_index("ix_claims_psn_no", "claims", ["psn_no", "submitted_at"], unique=False)
    op.create_index("ix_claims_status", "claims",
                    ["insuplc_admdvs", "status", "submitted_at"], unique=False)
    op.create_table(
        "claim_lines",
        sa.Column("claim_id", sa.String(length=30), nullable=False),
        sa.Column("feedetl_sn", sa.String(length=30), nullable=False),
        sa.Column("med_list_codg", sa.String(length=50), nullable=False),
        sa.Column("cnt", sa.String(length=20), nullable=False),
        sa.Column("pric", sa.String(length=20), nullable=False),
        sa.Column("det_item_fee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("admitted_cnt", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.claim_id"],
                                name=op.f("fk_claim_lines_claim_id_claims")),
        sa.PrimaryKeyConstraint("claim_id", "feedetl_sn", name=op.f("pk_claim_lines")),
    )
    op.create_table(
        "claim_invoices",
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("invoice_no", sa.String(length=40), nullable=False),
        sa.Column("claim_id", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.claim_id"],
                                name=op.f("fk_claim_invoices_claim_id_claims")),
        sa.PrimaryKeyConstraint("fixmedins_code", "invoice_no",
                                name=op.f("pk_claim_invoices")),
    )


def downgrade() -> None:
    op.drop_table("claim_invoices")
    op.drop_table("claim_lines")
    op.drop_index("ix_claims_status", table_name="claims")
    op.drop_index("ix_claims_psn_no", table_name="claims")
    op.drop_table("claims")
