"""Tables the assistant writes for clinic staff. Created by Alembic migrations
(bot/db/migrations), never at import time. Rasa's own `events` table is not
modelled here: the console reads it, only retention and deletion write to it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ScreeningResult(Base):
    """One completed screening checklist: the answers and the outcome given."""

    __tablename__ = "screening_results"
    __table_args__ = (UniqueConstraint("run_key", name="uq_screening_results_run_key"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    answers = Column(JSON, nullable=False)
    outcome = Column(String(32), nullable=False, index=True)
    notes = Column(JSON, nullable=False, default=list)
    flagged_for_care_team = Column(Boolean, nullable=False, default=False)
    # the checklist run this result belongs to: a retried turn finds it (actions/run_keys.py)
    run_key = Column(String(40), nullable=True)

    callbacks = relationship("CallbackRequest", back_populates="screening")


class CallbackRequest(Base):
    """A patient's request that the care team call them back."""

    __tablename__ = "callback_requests"
    __table_args__ = (UniqueConstraint("run_key", name="uq_callback_requests_run_key"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    screening_id = Column(Integer, ForeignKey("screening_results.id", ondelete="SET NULL"), nullable=True)
    name = Column(String(120), nullable=False)
    phone = Column(String(32), nullable=False)
    consent = Column(Boolean, nullable=False)
    status = Column(String(16), nullable=False, default="open", index=True)
    handled_by = Column(String(120), nullable=True)
    handled_at = Column(DateTime(timezone=True), nullable=True)
    note = Column(Text, nullable=True)
    run_key = Column(String(40), nullable=True)  # as ScreeningResult.run_key

    screening = relationship("ScreeningResult", back_populates="callbacks")


class PlatformDelivery(Base):
    """A webhook delivery from a messaging platform, by the platform's own id, so a
    redelivery is answered at most once (channels/deliveries.py). Kept a week."""

    __tablename__ = "platform_deliveries"

    platform = Column(String(16), primary_key=True)
    delivery_id = Column(String(128), primary_key=True)
    state = Column(String(16), nullable=False)  # processing | done
    claimed_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)


class AnswerFeedback(Base):
    """A patient's "was this helpful?" tap under one catalogue answer (bot/db/feedback.py).

    The answer is identified by its bot event's timestamp in Rasa's tracker (the
    one id the reply and the stored event share); one row per answer, the first
    tap stands. Deleted with the conversation when a patient asks to be forgotten.
    """

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("conversation_id", "message_ts", name="uq_feedback_conversation_message"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    answer_id = Column(String(255), nullable=False, index=True)  # catalogue id, e.g. recovery/timeline
    helpful = Column(Boolean, nullable=False)
    message_ts = Column(Float, nullable=False)  # the answer's bot event timestamp
    channel = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)


# --- Staff review console (bot/console) -------------------------------------------
# Staff accounts, the audit log and the review state. Conversations themselves stay
# in Rasa's `events` table; `conversation_summaries` / `conversation_answers` are a
# derived, rebuildable index of it that keeps the conversation list fast.


class StaffUser(Base):
    """A clinic staff account for the review console (created with the users CLI)."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="reviewer")  # reviewer | admin
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    last_login_at = Column(DateTime(timezone=True), nullable=True)
    # Part of every session cookie; signing out adds one, so a saved cookie
    # replayed after sign-out is refused (migration 0003).
    session_epoch = Column(Integer, nullable=False, default=0, server_default="0")


class LoginAttempt(Base):
    """Every sign-in attempt; failed ones rate-limit further attempts (any process)."""

    __tablename__ = "login_attempts"

    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False, index=True)
    remote_addr = Column(String(64), nullable=True, index=True)
    attempted_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    succeeded = Column(Boolean, nullable=False, default=False)


class AuditEntry(Base):
    """Who did what, when: conversation views, exports, unmasking, admin actions."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    username = Column(String(80), nullable=False, index=True)
    action = Column(String(48), nullable=False, index=True)
    target = Column(String(255), nullable=True, index=True)
    detail = Column(Text, nullable=True)
    remote_addr = Column(String(64), nullable=True)


class ConversationReview(Base):
    """A reviewer's verdict on one conversation (Rasa's sender_id)."""

    __tablename__ = "conversation_reviews"

    sender_id = Column(String(255), primary_key=True)
    reviewed = Column(Boolean, nullable=False, default=False, index=True)
    reviewed_by = Column(String(80), nullable=True)
    reviewed_at = Column(DateTime(timezone=True), nullable=True)


class ConversationTag(Base):
    __tablename__ = "conversation_tags"

    sender_id = Column(String(255), primary_key=True)
    tag = Column(String(48), primary_key=True, index=True)
    added_by = Column(String(80), nullable=False)
    added_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)


class ConversationNote(Base):
    __tablename__ = "conversation_notes"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    author = Column(String(80), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    text = Column(Text, nullable=False)


class FlaggedMessage(Base):
    """A user message the assistant answered wrongly, with the answer it should have had."""

    __tablename__ = "flagged_messages"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    event_id = Column(Integer, nullable=False)  # events.id of the user message
    text = Column(Text, nullable=False)
    predicted_intent = Column(String(255), nullable=True)
    given_answer = Column(String(255), nullable=True)
    expected_answer = Column(String(255), nullable=False, index=True)
    note = Column(Text, nullable=True)
    flagged_by = Column(String(80), nullable=False)
    flagged_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)


class ConversationSummary(Base):
    """One row per conversation, derived from `events` (rebuildable at any time)."""

    __tablename__ = "conversation_summaries"

    sender_id = Column(String(255), primary_key=True)
    channel = Column(String(64), nullable=True, index=True)
    started_at = Column(Float, nullable=False)
    last_at = Column(Float, nullable=False, index=True)
    first_day = Column(String(10), nullable=False, index=True)  # UTC YYYY-MM-DD
    last_day = Column(String(10), nullable=False, index=True)
    user_messages = Column(Integer, nullable=False, default=0)
    bot_messages = Column(Integer, nullable=False, default=0)
    answers = Column(Integer, nullable=False, default=0)
    emergencies = Column(Integer, nullable=False, default=0, index=True)
    not_covered = Column(Integer, nullable=False, default=0)
    fallbacks = Column(Integer, nullable=False, default=0)
    handoffs = Column(Integer, nullable=False, default=0)
    preview = Column(Text, nullable=True)
    search_text = Column(Text, nullable=True)
    last_event_id = Column(Integer, nullable=False, default=0)


class ConversationAnswer(Base):
    """How often each answer id / reply kind was given in a conversation."""

    __tablename__ = "conversation_answers"

    sender_id = Column(String(255), primary_key=True)
    answer_id = Column(String(255), primary_key=True, index=True)
    count = Column(Integer, nullable=False, default=1)


class ConsoleState(Base):
    """Small key/value state, e.g. the last `events` id folded into the summaries."""

    __tablename__ = "console_state"

    key = Column(String(64), primary_key=True)
    value = Column(String(255), nullable=False)


# --- Content gaps (bot/console/gaps.py) --------------------------------------------
# Questions the assistant could not answer from the document (reply kinds
# not_covered and not_sure), grouped by meaning. The question text stays in Rasa's
# `events`; only the event id, when and which reply kind, and its embedding are
# kept here, and they go with the conversation (erasure, retention).


class ContentGapGroup(Base):
    """A group of unanswered questions that mean the same thing, with a clinician's status.

    `vector_sum` is the sum of its members' unit embeddings (float32 bytes): its
    direction is the group's centroid, which new questions are compared with, so a
    group keeps its id (and status) as questions arrive. `members` is how many
    questions that sum holds; when questions are erased the count no longer
    matches and the sum is recomputed from those left.
    """

    __tablename__ = "content_gap_groups"

    id = Column(Integer, primary_key=True)
    vector_sum = Column(LargeBinary, nullable=False)
    members = Column(Integer, nullable=False)  # how many questions vector_sum adds up
    # open | answer_needed | out_of_scope | done
    status = Column(String(16), nullable=False, default="open", index=True)
    status_by = Column(String(80), nullable=True)
    status_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)


class ContentGapQuestion(Base):
    """One patient message answered with not_covered or not_sure, and its group."""

    __tablename__ = "content_gap_questions"

    event_id = Column(Integer, primary_key=True, autoincrement=False)  # events.id of the user message
    sender_id = Column(String(255), nullable=False, index=True)
    asked_at = Column(Float, nullable=False)
    reply_kind = Column(String(16), nullable=False)  # not_covered | not_sure
    group_id = Column(Integer, ForeignKey("content_gap_groups.id", ondelete="CASCADE"), nullable=False)
    embedding = Column(LargeBinary, nullable=False)  # 384 float32, unit length

    __table_args__ = (Index("ix_content_gap_questions_group_asked", "group_id", "asked_at"),)


# --- Post-procedure check-ins (bot/checkins) ----------------------------------------
# A patient enrolled by staff, with consent, gets short check-ins on set days after
# the procedure. The due check-ins are rows here, so no process holds them in memory:
# a restart loses none, and a row is claimed before it is sent, so none goes twice.


class CheckinEnrolment(Base):
    """One patient enrolled for check-ins by a reviewer, with the consent recorded."""

    __tablename__ = "checkin_enrolments"

    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False)
    phone = Column(String(32), nullable=False)  # E.164
    channel = Column(String(16), nullable=False)  # sms | whatsapp | telegram
    telegram_chat_id = Column(String(64), nullable=True)  # Telegram bots cannot write to a phone number
    # Rasa's conversation the check-ins are turns of (channels/namespaces.py): twilio:+1...,
    # twilio:whatsapp:+1..., telegram:<chat>; the patient's replies continue it.
    conversation_id = Column(String(255), nullable=False, index=True)
    time_zone = Column(String(64), nullable=False)  # IANA name, for quiet hours
    procedure_date = Column(Date, nullable=False)
    consent = Column(Boolean, nullable=False)
    consent_at = Column(DateTime(timezone=True), nullable=False)
    consent_by = Column(String(80), nullable=False)  # the staff member who recorded it
    enrolled_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    stopped_at = Column(DateTime(timezone=True), nullable=True)
    stopped_via = Column(String(32), nullable=True)  # e.g. "sms STOP", "telegram /stop", "staff"

    checkins = relationship("Checkin", back_populates="enrolment", order_by="Checkin.day",
                            cascade="all, delete-orphan", passive_deletes=True)


class Checkin(Base):
    """One check-in: due (waiting), sending (claimed by one scheduler), sent, answered,
    missed (no reply after the reminder) or cancelled (the patient said STOP)."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("enrolment_id", "day", name="uq_checkins_enrolment_day"),
                      Index("ix_checkins_state_due_at", "state", "due_at"))

    id = Column(Integer, primary_key=True)
    enrolment_id = Column(Integer, ForeignKey("checkin_enrolments.id", ondelete="CASCADE"), nullable=False)
    day = Column(Integer, nullable=False)  # days after the procedure
    due_at = Column(DateTime(timezone=True), nullable=False)  # UTC
    state = Column(String(16), nullable=False, default="due")
    claimed_by = Column(String(64), nullable=True)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    sent_at = Column(DateTime(timezone=True), nullable=True)
    reminded_at = Column(DateTime(timezone=True), nullable=True)
    answered_at = Column(DateTime(timezone=True), nullable=True)
    pain = Column(Integer, nullable=True)  # 0-10, the patient's answer
    warning_sign = Column(Boolean, nullable=True)

    enrolment = relationship("CheckinEnrolment", back_populates="checkins")
