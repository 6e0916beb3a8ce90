"""post-procedure check-ins: enrolments (with consent) and the check-ins due, sent and answered

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin_enrolments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("telegram_chat_id", sa.String(64), nullable=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("procedure_date", sa.Date, nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_by", sa.String(80), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_via", sa.String(32), nullable=True),
    )
    op.create_index("ix_checkin_enrolments_conversation_id", "checkin_enrolments", ["conversation_id"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enrolment_id", sa.Integer,
                  sa.ForeignKey("checkin_enrolments.id", ondelete="CASCADE", name="fk_checkins_enrolment"),
                  nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pain", sa.Integer, nullable=True),
        sa.Column("warning_sign", sa.Boolean, nullable=True),
        sa.UniqueConstraint("enrolment_id", "day", name="uq_checkins_enrolment_day"),
    )
    op.create_index("ix_checkins_state_due_at", "checkins", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_checkins_state_due_at", table_name="checkins")
    op.drop_table("checkins")
    op.drop_index("ix_checkin_enrolments_conversation_id", table_name="checkin_enrolments")
    op.drop_table("checkin_enrolments")
