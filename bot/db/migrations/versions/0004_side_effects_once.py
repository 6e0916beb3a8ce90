"""a screening result and a callback request are written once per form run

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("screening_results", "callback_requests")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("run_key", sa.String(40), nullable=True))
            batch.create_unique_constraint(f"uq_{table}_run_key", ["run_key"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_run_key", type_="unique")
            batch.drop_column("run_key")
