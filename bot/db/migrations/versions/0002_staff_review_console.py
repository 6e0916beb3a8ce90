"""staff review console: staff users, sign-in attempts, audit log, review state,
flagged messages, conversation summaries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("last_login_at", nullable=True),
        sa.UniqueConstraint("username", name="uq_staff_users_username"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        _ts("attempted_at"),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_login_attempts_username", "login_attempts", ["username"])
    op.create_index("ix_login_attempts_remote_addr", "login_attempts", ["remote_addr"])
    op.create_index("ix_login_attempts_attempted_at", "login_attempts", ["attempted_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ts("at"),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.String(255), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("remote_addr", sa.String(64), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_username", "audit_log", ["username"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_target", "audit_log", ["target"])
    op.create_table(
        "conversation_reviews",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("reviewed_by", sa.String(80), nullable=True),
        _ts("reviewed_at", nullable=True),
    )
    op.create_index("ix_conversation_reviews_reviewed", "conversation_reviews", ["reviewed"])
    op.create_table(
        "conversation_tags",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("tag", sa.String(48), primary_key=True),
        sa.Column("added_by", sa.String(80), nullable=False),
        _ts("added_at"),
    )
    op.create_index("ix_conversation_tags_tag", "conversation_tags", ["tag"])
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        _ts("created_at"),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_conversation_notes_sender_id", "conversation_notes", ["sender_id"])
    op.create_table(
        "flagged_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(255), nullable=True),
        sa.Column("given_answer", sa.String(255), nullable=True),
        sa.Column("expected_answer", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("flagged_by", sa.String(80), nullable=False),
        _ts("flagged_at"),
    )
    op.create_index("ix_flagged_messages_sender_id", "flagged_messages", ["sender_id"])
    op.create_index("ix_flagged_messages_expected_answer", "flagged_messages", ["expected_answer"])
    op.create_table(
        "conversation_summaries",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("first_day", sa.String(10), nullable=False),
        sa.Column("last_day", sa.String(10), nullable=False),
        sa.Column("user_messages", sa.Integer(), nullable=False),
        sa.Column("bot_messages", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("emergencies", sa.Integer(), nullable=False),
        sa.Column("not_covered", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("handoffs", sa.Integer(), nullable=False),
        sa.Column("preview", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=True),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
    )
    for column in ("channel", "last_at", "first_day", "last_day", "emergencies"):
        op.create_index(f"ix_conversation_summaries_{column}", "conversation_summaries", [column])
    op.create_table(
        "conversation_answers",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("answer_id", sa.String(255), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_conversation_answers_answer_id", "conversation_answers", ["answer_id"])
    op.create_table(
        "console_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    for table in ("console_state", "conversation_answers", "conversation_summaries",
                  "flagged_messages", "conversation_notes", "conversation_tags",
                  "conversation_reviews", "audit_log", "login_attempts", "staff_users"):
        op.drop_table(table)
