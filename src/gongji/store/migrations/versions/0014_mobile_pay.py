"""Online purchase with 医保 (issue 19): payment authorizations (payAuthNo), mobile-payment
orders (6201-6401) and their refunds, cash-channel requests and the sandbox channel's book,
notifications to institutions, electronic prescriptions.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_items", sa.Column("otc_flag", sa.Boolean(), nullable=False,
                                             server_default="0"))
    op.create_table(
        "pay_auths",
        sa.Column("pay_auth_no", sa.String(length=40), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("authorized_by", sa.String(length=20), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("med_org_ord", sa.String(length=40), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("fee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pay_ord_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["fixmedins_code"], ["institutions.fixmedins_code"],
                                name=op.f("fk_pay_auths_fixmedins_code_institutions")),
        sa.ForeignKeyConstraint(["psn_no"], ["persons.psn_no"],
                                name=op.f("fk_pay_auths_psn_no_persons")),
        sa.PrimaryKeyConstraint("pay_auth_no", name=op.f("pk_pay_auths")),
    )
    op.create_index("ix_pay_auths_psn_no", "pay_auths", ["psn_no"], unique=False)
    op.create_index("ix_pay_auths_order", "pay_auths", ["fixmedins_code", "med_org_ord"],
                    unique=False)
    op.create_table(
        "pay_orders",
        sa.Column("pay_ord_id", sa.String(length=40), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("med_org_ord", sa.String(length=40), nullable=False),
        sa.Column("pay_auth_no", sa.String(length=40), nullable=False),
        sa.Column("pay_token_digest", sa.String(length=64), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("authorized_by", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("setl_id", sa.String(length=30), nullable=True),
        sa.Column("hi_rxno", sa.String(length=40), nullable=True),
        sa.Column("ord_stas", sa.String(length=2), nullable=False),
        sa.Column("fee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("own_pay_amt", sa.BigInteger(), nullable=False),
        sa.Column("psn_acct_pay", sa.BigInteger(), nullable=False),
        sa.Column("fund_pay", sa.BigInteger(), nullable=False),
        sa.Column("acct_mulaid_pay", sa.BigInteger(), nullable=False),
        sa.Column("cash_state", sa.String(length=10), nullable=False),
        sa.Column("notify_url", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("cash_state IN ('none', 'pending', 'paid', 'failed', 'refunded')",
            name=op.f("ck_pay_orders_cash_state")),
        sa.ForeignKeyConstraint(["fixmedins_code"], ["institutions.fixmedins_code"],
                                name=op.f("fk_pay_orders_fixmedins_code_institutions")),
        sa.ForeignKeyConstraint(["mdtrt_id"], ["visits.mdtrt_id"],
                                name=op.f("fk_pay_orders_mdtrt_id_visits")),
        sa.ForeignKeyConstraint(["pay_auth_no"], ["pay_auths.pay_auth_no"],
                                name=op.f("fk_pay_orders_pay_auth_no_pay_auths")),
        sa.ForeignKeyConstraint(["psn_no"], ["persons.psn_no"],
                                name=op.f("fk_pay_orders_psn_no_persons")),
        sa.PrimaryKeyConstraint("pay_ord_id", name=op.f("pk_pay_orders")),
        sa.UniqueConstraint("fixmedins_code", "med_org_ord",
            name=op.f("uq_pay_orders_fixmedins_code_med_org_ord")),
    )
    op.create_index("ix_pay_orders_ord_stas", "pay_orders", ["ord_stas", "updated_at"],
                    unique=False)
    op.create_index("ix_pay_orders_psn_no", "pay_orders", ["psn_no", "created_at"], unique=False)
    op.create_table(
        "pay_refunds",
        sa.Column("pay_ord_id", sa.String(length=40), nullable=False),
        sa.Column("app_refd_sn", sa.String(length=40), nullable=False),
        sa.Column("refd_type", sa.String(length=4), nullable=False),
        sa.Column("totl_refd_amt", sa.BigInteger(), nullable=False),
        sa.Column("cash_refd_amt", sa.BigInteger(), nullable=False),
        sa.Column("psn_acct_refd_amt", sa.BigInteger(), nullable=False),
        sa.Column("fund_refd_amt", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("new_setl_id", sa.String(length=30), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pay_ord_id"], ["pay_orders.pay_ord_id"],
                                name=op.f("fk_pay_refunds_pay_ord_id_pay_orders")),
        sa.PrimaryKeyConstraint("pay_ord_id", "app_refd_sn", name=op.f("pk_pay_refunds")),
    )
    op.create_table(
        "cash_payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("pay_ord_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("channel_ref", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_cash_payments_amount")),
        sa.CheckConstraint("kind IN ('pay', 'refund')", name=op.f("ck_cash_payments_kind")),
        sa.CheckConstraint("state IN ('pending', 'paid', 'failed', 'unknown')",
            name=op.f("ck_cash_payments_state")),
        sa.ForeignKeyConstraint(["pay_ord_id"], ["pay_orders.pay_ord_id"],
                                name=op.f("fk_cash_payments_pay_ord_id_pay_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_payments")),
    )
    op.create_index("ix_cash_payments_pay_ord_id", "cash_payments", ["pay_ord_id"], unique=False)
    op.create_table(
        "sandbox_cash",
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("original_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_sandbox_cash")),
    )
    op.create_table(
        "pay_notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pay_ord_id", sa.String(length=40), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["pay_ord_id"], ["pay_orders.pay_ord_id"],
                                name=op.f("fk_pay_notifications_pay_ord_id_pay_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_notifications")),
    )
    op.create_index("ix_pay_notifications_due", "pay_notifications", ["delivered_at", "next_at"],
                    unique=False)
    op.create_table(
        "prescriptions",
        sa.Column("hi_rxno", sa.String(length=40), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("issued_by", sa.String(length=12), nullable=False),
        sa.Column("dise_codg", sa.String(length=30), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("filled_by", sa.String(length=12), nullable=True),
        sa.Column("filled_setl", sa.String(length=40), nullable=True),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('issued', 'filled', 'revoked')",
            name=op.f("ck_prescriptions_status")),
        sa.ForeignKeyConstraint(["issued_by"], ["institutions.fixmedins_code"],
                                name=op.f("fk_prescriptions_issued_by_institutions")),
        sa.ForeignKeyConstraint(["psn_no"], ["persons.psn_no"],
                                name=op.f("fk_prescriptions_psn_no_persons")),
        sa.PrimaryKeyConstraint("hi_rxno", name=op.f("pk_prescriptions")),
    )
    op.create_index("ix_prescriptions_psn_no", "prescriptions", ["psn_no"], unique=False)
    op.create_table(
        "prescription_items",
        sa.Column("hi_rxno", sa.String(length=40), nullable=False),
        sa.Column("med_list_codg", sa.String(length=30), nullable=False),
        sa.Column("cnt", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["hi_rxno"], ["prescriptions.hi_rxno"],
                                name=op.f("fk_prescription_items_hi_rxno_prescriptions")),
        sa.PrimaryKeyConstraint("hi_rxno", "med_list_codg", name=op.f("pk_prescription_items")),
    )


def downgrade() -> None:
    op.drop_table("prescription_items")
    op.drop_index("ix_prescriptions_psn_no", table_name="prescriptions")
    op.drop_table("prescriptions")
    op.drop_index("ix_pay_notifications_due", table_name="pay_notifications")
    op.drop_table("pay_notifications")
    op.drop_table("sandbox_cash")
    op.drop_index("ix_cash_payments_pay_ord_id", table_name="cash_payments")
    op.drop_table("cash_payments")
    op.drop_table("pay_refunds")
    op.drop_index("ix_pay_orders_ord_stas", table_name="pay_orders")
    op.drop_index("ix_pay_orders_psn_no", table_name="pay_orders")
    op.drop_table("pay_orders")
    op.drop_index("ix_pay_auths_psn_no", table_name="pay_auths")
    op.drop_index("ix_pay_auths_order", table_name="pay_auths")
    op.drop_table("pay_auths")
    with op.batch_alter_table("catalog_items") as batch:
        batch.drop_column("otc_flag")
