"""Patients' "was this helpful?" taps on catalogue answers.

A tap is stored only for an answer the assistant really gave in that
conversation (`answer_given` reads the bot event out of the tracker), so a
script cannot vote on answers it was never shown or on other conversations.
The answer is named by its bot event's timestamp: the one identifier the reply
the widget got and the event Rasa stored share (the event's row id is not known
when the reply is sent). One row per answer: the first tap stands and a second
one (a resend, another window) changes nothing, so a count of "no" is a count
of answers, not of clicks. Rows are deleted with the conversation when a
patient asks to be forgotten.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import case, func, insert, select
from sqlalchemy.exc import IntegrityError

from bot.db.models import AnswerFeedback, utc_now
from bot.db.session import session_scope

ANSWER_PREFIX = "utter_"
# JSON and SQL floats of the same event agree to far better than this; two bot
# events of one conversation are never this close (a turn takes milliseconds).
SAME_EVENT_SECONDS = 1e-6


def catalogue_answer_id(utter_action: Any) -> Optional[str]:
    """`utter_recovery/timeline` -> `recovery/timeline`; None for any other reply.

    A catalogue answer's response is a retrieval response, the only kind whose
    name holds a "/" (the answer catalogue contract); chitchat is retrieval too
    but is no answer from the source, so it gets no feedback.
    """
    if not isinstance(utter_action, str) or not utter_action.startswith(ANSWER_PREFIX):
        return None
    answer_id = utter_action[len(ANSWER_PREFIX):]
    if "/" not in answer_id or answer_id.startswith("chitchat/"):
        return None
    return answer_id


def valid_timestamp(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and value > 0 else None


def answer_given(events: Iterable[Dict[str, Any]], message_ts: float, answer_id: str) -> Optional[float]:
    """The stored timestamp of the bot event that gave `answer_id` at `message_ts`, if there is one."""
    for event in events:
        if event.get("event") != "bot":
            continue
        timestamp = valid_timestamp(event.get("timestamp"))
        if timestamp is None or abs(timestamp - message_ts) > SAME_EVENT_SECONDS:
            continue
        metadata = event.get("metadata") or {}
        if catalogue_answer_id(metadata.get("utter_action")) == answer_id:
            return timestamp
    return None


def record(conversation_id: str, answer_id: str, helpful: bool, message_ts: float,
           channel: Optional[str] = None, database_url: Optional[str] = None) -> bool:
    """Stores a tap; True if stored, False if this answer already had one (which stands)."""
    try:
        with session_scope(database_url) as session:
            session.execute(insert(AnswerFeedback).values(
                conversation_id=conversation_id, answer_id=answer_id, helpful=bool(helpful),
                message_ts=message_ts, channel=channel, created_at=utc_now()))
        return True
    except IntegrityError:
        return False


@dataclass
class AnswerHelpfulness:
    answer_id: str
    yes: int = 0
    no: int = 0
    # conversations with a "no" on this answer, newest first
    no_conversations: List[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def share_helpful(self) -> float:
        return self.yes / self.total if self.total else 0.0


def helpfulness(connection) -> List[AnswerHelpfulness]:  # type: ignore[no-untyped-def]
    """Yes and no per answer id (most "no" first), with the conversations behind each "no"."""
    yes = func.sum(case((AnswerFeedback.helpful.is_(True), 1), else_=0))
    no = func.sum(case((AnswerFeedback.helpful.is_(False), 1), else_=0))
    rows = connection.execute(
        select(AnswerFeedback.answer_id, yes.label("yes"), no.label("no"))
        .group_by(AnswerFeedback.answer_id)
        .order_by(no.desc(), AnswerFeedback.answer_id)).all()
    by_id = {row.answer_id: AnswerHelpfulness(row.answer_id, int(row.yes or 0), int(row.no or 0))
             for row in rows}
    negatives = connection.execute(
        select(AnswerFeedback.answer_id, AnswerFeedback.conversation_id)
        .where(AnswerFeedback.helpful.is_(False))
        .order_by(AnswerFeedback.created_at.desc(), AnswerFeedback.id.desc())).all()
    for row in negatives:
        conversations = by_id[row.answer_id].no_conversations
        if row.conversation_id not in conversations:
            conversations.append(row.conversation_id)
    return list(by_id.values())
