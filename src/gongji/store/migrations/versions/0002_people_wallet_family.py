"""People, enrollments, credentials, proxies, bindings, wallets, transfers, contributions,
login, outbox, regions and policy documents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 20:34:24.184743
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_state")),
    )
    op.create_table(
        "credential_uses",
        sa.Column("jti", sa.String(length=32), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_credential_uses")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=True),
        sa.Column("to_masked", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "persons",
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("certno", sa.String(length=18), nullable=False),
        sa.Column("psn_cert_type", sa.String(length=2), server_default="01", nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("gend", sa.String(length=1), nullable=False),
        sa.Column("brdy", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("psn_no", name=op.f("pk_persons")),
        sa.UniqueConstraint("certno", name=op.f("uq_persons_certno")),
    )
    op.create_table(
        "policy_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_documents")),
    )
    op.create_index("ix_policy_documents_region", "policy_documents", ["region"], unique=False)

    op.create_table(
        "regions",
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level IN ('province', 'pooling')", name=op.f("ck_regions_level")),
        sa.PrimaryKeyConstraint("admdvs", name=op.f("pk_regions")),
    )
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_secrets")),
    )
    op.create_table(
        "bindings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sponsor_psn_no", sa.String(length=20), nullable=False),
        sa.Column("beneficiary_psn_no", sa.String(length=20), nullable=False),
        sa.Column("relation", sa.String(length=24), nullable=False),
        sa.Column("requested_by", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("verified", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("verified_by", sa.String(length=100), nullable=True),
        sa.Column("evidence", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=100), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'declined', 'ended')", name=op.f("ck_bindings_status")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_psn_no"],
            ["persons.psn_no"],
            name=op.f("fk_bindings_beneficiary_psn_no_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_psn_no"], ["persons.psn_no"], name=op.f("fk_bindings_sponsor_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bindings")),
    )
    op.create_index("ix_bindings_beneficiary", "bindings", ["beneficiary_psn_no"], unique=False)
    op.create_index(
        "uq_bindings_open",
        "bindings",
        ["sponsor_psn_no", "beneficiary_psn_no"],
        unique=True,
        sqlite_where=sa.text("status IN ('pending', 'active')"),
        postgresql_where=sa.text("status IN ('pending', 'active')"),
    )

    op.create_table(
        "cards",
        sa.Column("card_no", sa.String(length=32), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="valid", nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('valid', 'lost')", name=op.f("ck_cards_status")),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_cards_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("card_no", name=op.f("pk_cards")),
    )
    op.create_index("ix_cards_psn_no", "cards", ["psn_no"], unique=False)

    op.create_table(
        "contributions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("payer_psn_no", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("sponsor_psn_no", sa.String(length=20), nullable=True),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('personal', 'quota')", name=op.f("ck_contributions_source")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_contributions_entry_id_entries")
        ),
        sa.ForeignKeyConstraint(
            ["payer_psn_no"], ["persons.psn_no"], name=op.f("fk_contributions_payer_psn_no_persons")
        ),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_contributions_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributions")),
        sa.UniqueConstraint(
            "psn_no", "insutype", "year", name=op.f("uq_contributions_psn_no_insutype_year")
        ),
    )
    op.create_table(
        "enrollments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=3), nullable=False),
        sa.Column("psn_type", sa.String(length=4), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("has_personal_account", sa.Boolean(), nullable=False),
        sa.Column("emp_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'ended', 'moved')", name=op.f("ck_enrollments_status")
        ),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_enrollments_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
    )
    op.create_index("ix_enrollments_psn_no", "enrollments", ["psn_no"], unique=False)
    op.create_index(
        "uq_enrollments_active",
        "enrollments",
        ["psn_no", "insutype"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )

    op.create_table(
        "otps",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_otps_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_otps")),
    )
    op.create_index("ix_otps_psn_no", "otps", ["psn_no"], unique=False)

    op.create_table(
        "pins",
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("hash", sa.String(length=200), nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_pins_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("psn_no", name=op.f("pk_pins")),
    )
    op.create_table(
        "proxies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("holder_psn_no", sa.String(length=20), nullable=False),
        sa.Column("subject_psn_no", sa.String(length=20), nullable=False),
        sa.Column("relation", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("needs", sa.String(length=8), nullable=False),
        sa.Column("evidence", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("needs IN ('consent', 'operator')", name=op.f("ck_proxies_needs")),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'declined', 'ended')", name=op.f("ck_proxies_status")
        ),
        sa.ForeignKeyConstraint(
            ["holder_psn_no"], ["persons.psn_no"], name=op.f("fk_proxies_holder_psn_no_persons")
        ),
        sa.ForeignKeyConstraint(
            ["subject_psn_no"], ["persons.psn_no"], name=op.f("fk_proxies_subject_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proxies")),
    )
    op.create_index("ix_proxies_subject", "proxies", ["subject_psn_no"], unique=False)
    op.create_index(
        "uq_proxies_open",
        "proxies",
        ["holder_psn_no", "subject_psn_no"],
        unique=True,
        sqlite_where=sa.text("status IN ('pending', 'active')"),
        postgresql_where=sa.text("status IN ('pending', 'active')"),
    )

    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_sessions_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    op.create_table(
        "wallets",
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("place_of_use", sa.String(length=6), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_wallets_status")),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_wallets_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("psn_no", name=op.f("pk_wallets")),
    )
    op.create_table(
        "wallet_transfers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sender_psn_no", sa.String(length=20), nullable=False),
        sa.Column("receiver_psn_no", sa.String(length=20), nullable=False),
        sa.Column("binding_id", sa.String(length=36), nullable=False),
        sa.Column("hold_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_reason", sa.String(length=12), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_wallet_transfers_positive")),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"], name=op.f("fk_wallet_transfers_binding_id_bindings")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["holds.id"], name=op.f("fk_wallet_transfers_hold_id_holds")
        ),
        sa.ForeignKeyConstraint(
            ["receiver_psn_no"],
            ["persons.psn_no"],
            name=op.f("fk_wallet_transfers_receiver_psn_no_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["sender_psn_no"],
            ["persons.psn_no"],
            name=op.f("fk_wallet_transfers_sender_psn_no_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_transfers")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_wallet_transfers_hold_id")),
    )
    op.create_index(
        "ix_wallet_transfers_receiver", "wallet_transfers", ["receiver_psn_no"], unique=False
    )
    op.create_index(
        "ix_wallet_transfers_sender_day",
        "wallet_transfers",
        ["sender_psn_no", "business_date"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("app_state")
    op.drop_index("ix_wallet_transfers_sender_day", table_name="wallet_transfers")
    op.drop_index("ix_wallet_transfers_receiver", table_name="wallet_transfers")

    op.drop_table("wallet_transfers")
    op.drop_table("wallets")
    op.drop_table("sessions")
    op.drop_index("uq_proxies_open", table_name="proxies")
    op.drop_index("ix_proxies_subject", table_name="proxies")

    op.drop_table("proxies")
    op.drop_table("pins")
    op.drop_index("ix_otps_psn_no", table_name="otps")

    op.drop_table("otps")
    op.drop_index("uq_enrollments_active", table_name="enrollments")
    op.drop_index("ix_enrollments_psn_no", table_name="enrollments")

    op.drop_table("enrollments")
    op.drop_table("contributions")
    op.drop_index("ix_cards_psn_no", table_name="cards")

    op.drop_table("cards")
    op.drop_index("uq_bindings_open", table_name="bindings")
    op.drop_index("ix_bindings_beneficiary", table_name="bindings")

    op.drop_table("bindings")
    op.drop_table("secrets")
    op.drop_table("regions")
    op.drop_index("ix_policy_documents_region", table_name="policy_documents")

    op.drop_table("policy_documents")
    op.drop_table("persons")
    op.drop_table("outbox")
    op.drop_table("credential_uses")
