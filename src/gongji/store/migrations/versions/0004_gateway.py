"""The national-interface gateway: sign-ins, files (9101/9102), fee batch numbers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 22:00:23.901701
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_files",
        sa.Column("file_qury_no", sa.String(length=40), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_qury_no", name=op.f("pk_gateway_files")),
    )
    op.create_table(
        "gateway_signins",
        sa.Column("sign_no", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("opter_no", sa.String(length=30), nullable=False),
        sa.Column("mac", sa.String(length=40), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sign_no", name=op.f("pk_gateway_signins")),
    )
    with op.batch_alter_table("fee_details", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chrg_bchno", sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fee_details", schema=None) as batch_op:
        batch_op.drop_column("chrg_bchno")

    op.drop_table("gateway_signins")
    op.drop_table("gateway_files")
