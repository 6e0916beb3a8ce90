"""content gaps: unanswered questions grouped by meaning, with a clinician's status

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_gap_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("vector_sum", sa.LargeBinary, nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_by", sa.String(80), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_content_gap_groups_status", "content_gap_groups", ["status"])
    op.create_table(
        "content_gap_questions",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("asked_at", sa.Float, nullable=False),
        sa.Column("reply_kind", sa.String(16), nullable=False),
        sa.Column("group_id", sa.Integer,
                  sa.ForeignKey("content_gap_groups.id", ondelete="CASCADE", name="fk_content_gap_questions_group"),
                  nullable=False),
        sa.Column("embedding", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_content_gap_questions_sender_id", "content_gap_questions", ["sender_id"])
    op.create_index("ix_content_gap_questions_group_asked", "content_gap_questions", ["group_id", "asked_at"])


def downgrade() -> None:
    op.drop_index("ix_content_gap_questions_group_asked", table_name="content_gap_questions")
    op.drop_index("ix_content_gap_questions_sender_id", table_name="content_gap_questions")
    op.drop_table("content_gap_questions")
    op.drop_index("ix_content_gap_groups_status", table_name="content_gap_groups")
    op.drop_table("content_gap_groups")
