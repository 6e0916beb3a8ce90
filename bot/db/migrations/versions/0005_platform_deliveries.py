"""platform webhook deliveries, so a redelivered update is answered at most once

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_deliveries",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("delivery_id", sa.String(128), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_platform_deliveries_claimed_at", "platform_deliveries", ["claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_platform_deliveries_claimed_at", table_name="platform_deliveries")
    op.drop_table("platform_deliveries")
