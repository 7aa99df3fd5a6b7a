"""Transport profiles: how each institution's system reaches the gateway (TIF, service bus,
OAuth2, encrypted), its credentials (sealed or hashed) and OAuth2 tokens; institution key
secrets widened to hold sealed text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("institution_keys", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=64),
                              type_=sa.String(length=200), existing_nullable=False)
    op.create_table(
        "institution_transports",
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("scheme", sa.String(length=10), nullable=False),
        sa.Column("infcode_as", sa.String(length=6), nullable=False),
        sa.Column("relay", sa.Boolean(), nullable=False),
        sa.Column("relay_opter", sa.String(length=30), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scheme IN ('gongji', 'tif', 'esb', 'oauth2')",
                           name=op.f("ck_institution_transports_scheme")),
        sa.CheckConstraint("infcode_as IN ('number', 'string')",
                           name=op.f("ck_institution_transports_infcode_as")),
        sa.ForeignKeyConstraint(["fixmedins_code"], ["institutions.fixmedins_code"],
                                name=op.f("fk_institution_transports_fixmedins_code_institutions")),
        sa.PrimaryKeyConstraint("fixmedins_code", name=op.f("pk_institution_transports")),
    )
    op.create_table(
        "transport_credentials",
        sa.Column("credential_id", sa.String(length=32), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.String(length=600), nullable=True),
        sa.Column("secret_hash", sa.String(length=200), nullable=True),
        sa.Column("peer_public", sa.String(length=130), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('tif', 'esb', 'oauth2', 'sm')",
                           name=op.f("ck_transport_credentials_kind")),
        sa.ForeignKeyConstraint(["fixmedins_code"], ["institutions.fixmedins_code"],
                                name=op.f("fk_transport_credentials_fixmedins_code_institutions")),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_transport_credentials")),
    )
    op.create_index("ix_transport_credentials_principal", "transport_credentials",
                    ["kind", "principal"], unique=True)
    op.create_index("ix_transport_credentials_code", "transport_credentials",
                    ["fixmedins_code"], unique=False)
    op.create_table(
        "oauth_tokens",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=32), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["credential_id"], ["transport_credentials.credential_id"],
                                name=op.f("fk_oauth_tokens_credential_id_transport_credentials")),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_oauth_tokens")),
    )
    op.create_index("ix_oauth_tokens_expires_at", "oauth_tokens", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_oauth_tokens_expires_at", table_name="oauth_tokens")
    op.drop_table("oauth_tokens")
    op.drop_index("ix_transport_credentials_code", table_name="transport_credentials")
    op.drop_index("ix_transport_credentials_principal", table_name="transport_credentials")
    op.drop_table("transport_credentials")
    op.drop_table("institution_transports")
    with op.batch_alter_table("institution_keys", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=200),
                              type_=sa.String(length=64), existing_nullable=False)
