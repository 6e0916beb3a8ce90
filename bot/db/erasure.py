"""Erasing one conversation on the patient's request ("forget me").

Everything the project's database holds about the conversation goes in one
transaction, so a failure leaves all of it in place and the patient is told
nothing was deleted (never a half-deleted record): Rasa's `events` rows (when the
tracker store shares DATABASE_URL, the default the staff console assumes), the
screening results, callback requests, "was this helpful?" feedback, a check-in
enrolment with its check-ins (no more are sent), and the
console's review state, notes, flags, content-gap questions and summary of it. The audit log then
records that a conversation was erased, and when, with nothing that identifies
it: a hash of a sender id is no protection when the id is a phone number
(`twilio:+1555...`) anyone can hash and compare.

Platform delivery claims (bot/db/deliveries.py) are not touched: they hold a
platform's delivery id or a one-way hash of the widget's message id, no
conversation id and no content, so they cannot be found by conversation and
tell nothing about it; they expire after a week.

The current turn's events are written by Rasa after the action runs; in that
save the tracker store deletes the conversation's rows where it keeps them (a
database of its own, if it has one) and writes the turn only from the erasing
action on (stores/tracker_store.py, ERASING_ACTION), so the request and its
"yes" are not stored either.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Dict, Optional

from sqlalchemy import column, delete, inspect, select, table
from sqlalchemy.engine import Connection

from bot.db.models import (AnswerFeedback, AuditEntry, CallbackRequest, Checkin, CheckinEnrolment,
                           ContentGapQuestion, ConversationAnswer,
                           ConversationNote, ConversationReview, ConversationSummary, ConversationTag,
                           FlaggedMessage, ScreeningResult)
from bot.db.session import get_engine

# Rasa's tracker store table (not modelled here: Rasa creates it), by the one column needed.
events = table("events", column("sender_id"))

# The action whose Restarted ends an erased conversation (the tracker store reads it).
ERASING_ACTION = "action_forget_me"
AUDIT_ACTION = "conversation_erased"
AUDIT_USER = "patient request"

# (table, column holding the conversation id); callbacks before screenings (foreign key)
TABLES = [
    (events, "sender_id"),
    (CallbackRequest.__table__, "conversation_id"),
    (ScreeningResult.__table__, "conversation_id"),
    (AnswerFeedback.__table__, "conversation_id"),
    (ContentGapQuestion.__table__, "sender_id"),  # the console's next refresh fixes its groups
    (FlaggedMessage.__table__, "sender_id"),
    (ConversationNote.__table__, "sender_id"),
    (ConversationTag.__table__, "sender_id"),
    (ConversationReview.__table__, "sender_id"),
    (ConversationAnswer.__table__, "sender_id"),
    (ConversationSummary.__table__, "sender_id"),
]


def erase_in(connection: Connection, conversation_id: str) -> Dict[str, int]:
    """Deletes the conversation everywhere, in the caller's transaction; rows per table.

    A table that does not exist yet (a database migrated before the feedback
    table, a test database without Rasa's `events`) has nothing to delete.
    """
    present = set(inspect(connection).get_table_names())
    counts: Dict[str, int] = {}
    if CheckinEnrolment.__tablename__ in present:
        # A patient enrolled for check-ins who asks to be forgotten: the check-ins
        # (their pain scores and answers) and the enrolment go too, so nothing is
        # sent to them again; the audit entry records that a conversation was erased.
        enrolments = select(CheckinEnrolment.id).where(CheckinEnrolment.conversation_id == conversation_id)
        counts[Checkin.__tablename__] = connection.execute(
            delete(Checkin.__table__).where(Checkin.enrolment_id.in_(enrolments))).rowcount or 0
        counts[CheckinEnrolment.__tablename__] = connection.execute(
            delete(CheckinEnrolment.__table__).where(
                CheckinEnrolment.conversation_id == conversation_id)).rowcount or 0
    for table, column in TABLES:
        if table.name not in present:
            continue
        counts[table.name] = connection.execute(
            delete(table).where(table.c[column] == conversation_id)).rowcount or 0
    connection.execute(AuditEntry.__table__.insert().values(
        username=AUDIT_USER, action=AUDIT_ACTION, target=None, detail=None,
        at=datetime.now(timezone.utc)))
    return counts


def erase_conversation(conversation_id: str, database_url: Optional[str] = None) -> Dict[str, int]:
    """Erases one conversation in one transaction (committed, or nothing at all)."""
    if not conversation_id:
        raise ValueError("no conversation to erase")
    with get_engine(database_url).begin() as connection:
        return erase_in(connection, conversation_id)
