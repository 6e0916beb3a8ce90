r"""The check-in rows and every change of their state, each one statement that
decides by itself, so two schedulers (or a scheduler and a STOP) never both win.

    due -> sending (claimed by one scheduler) -> sent -> answered
                                                  \-> reminded -> missed
    due -> cancelled (STOP)

A claim is `UPDATE ... WHERE id = :id AND state = 'due'`: on SQLite the write
lock, on PostgreSQL the row lock (the second UPDATE waits, re-reads the row and
finds it no longer due) let exactly one scheduler's claim change a row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import and_, or_, select, update

from bot.db.models import Checkin, CheckinEnrolment
from bot.db.session import session_scope


@dataclass
class Candidate:
    id: int
    day: int
    state: str
    claimed_at: Optional[datetime]
    conversation_id: str
    channel: str
    time_zone: str


def candidates(now: datetime, stuck_after: timedelta, limit: int = 100,
               database_url: Optional[str] = None) -> List[Candidate]:
    """Due check-ins of active enrolments, and ones left 'sending' longer than `stuck_after`."""
    with session_scope(database_url) as session:
        rows = session.execute(
            select(Checkin.id, Checkin.day, Checkin.state, Checkin.claimed_at, CheckinEnrolment.conversation_id,
                   CheckinEnrolment.channel, CheckinEnrolment.time_zone)
            .join(CheckinEnrolment, Checkin.enrolment_id == CheckinEnrolment.id)
            .where(CheckinEnrolment.stopped_at.is_(None),
                   or_(and_(Checkin.state == "due", Checkin.due_at <= now),
                       and_(Checkin.state == "sending", Checkin.claimed_at <= now - stuck_after)))
            .order_by(Checkin.due_at).limit(limit)).all()
    return [Candidate(*row) for row in rows]


def _active():
    return Checkin.enrolment_id.in_(
        select(CheckinEnrolment.id).where(CheckinEnrolment.stopped_at.is_(None)).scalar_subquery())


def claim(checkin_id: int, worker: str, now: datetime, database_url: Optional[str] = None) -> bool:
    """Takes a due check-in for sending; False when another scheduler took it (or STOP came)."""
    with session_scope(database_url) as session:
        return session.execute(
            update(Checkin).where(Checkin.id == checkin_id, Checkin.state == "due", _active())
            .values(state="sending", claimed_by=worker, claimed_at=now)
            .execution_options(synchronize_session=False)).rowcount == 1


def reclaim_stuck(checkin_id: int, claimed_at: datetime, worker: str, now: datetime,
                  database_url: Optional[str] = None) -> bool:
    """Takes over a row left 'sending' by a scheduler that died: only if nobody did meanwhile."""
    with session_scope(database_url) as session:
        return session.execute(
            update(Checkin).where(Checkin.id == checkin_id, Checkin.state == "sending",
                                  Checkin.claimed_at == claimed_at, _active())
            .values(claimed_by=worker, claimed_at=now)
            .execution_options(synchronize_session=False)).rowcount == 1


def postpone(checkin_id: int, due_at: datetime, worker: Optional[str] = None,
             database_url: Optional[str] = None) -> None:
    """Back to 'due' at a later time (quiet hours); a claimed row only by its claimant."""
    with session_scope(database_url) as session:
        condition = (Checkin.state == "due") if worker is None else and_(
            Checkin.state == "sending", Checkin.claimed_by == worker)
        session.execute(update(Checkin).where(Checkin.id == checkin_id, condition)
                        .values(state="due", due_at=due_at, claimed_by=None, claimed_at=None)
                        .execution_options(synchronize_session=False))


def mark_sent(checkin_id: int, worker: str, now: datetime, database_url: Optional[str] = None) -> None:
    with session_scope(database_url) as session:
        session.execute(update(Checkin).where(Checkin.id == checkin_id, Checkin.state == "sending",
                                              Checkin.claimed_by == worker)
                        .values(state="sent", sent_at=now).execution_options(synchronize_session=False))


def release(checkin_id: int, worker: str, database_url: Optional[str] = None) -> None:
    """Rasa was not reached at all: the check-in is due again, for the next poll."""
    with session_scope(database_url) as session:
        session.execute(update(Checkin).where(Checkin.id == checkin_id, Checkin.state == "sending",
                                              Checkin.claimed_by == worker)
                        .values(state="due", claimed_by=None, claimed_at=None)
                        .execution_options(synchronize_session=False))


def reminders_due(now: datetime, remind_after: timedelta, database_url: Optional[str] = None
                  ) -> List[Candidate]:
    with session_scope(database_url) as session:
        rows = session.execute(
            select(Checkin.id, Checkin.day, Checkin.state, Checkin.claimed_at, CheckinEnrolment.conversation_id,
                   CheckinEnrolment.channel, CheckinEnrolment.time_zone)
            .join(CheckinEnrolment, Checkin.enrolment_id == CheckinEnrolment.id)
            .where(CheckinEnrolment.stopped_at.is_(None), Checkin.state == "sent",
                   Checkin.reminded_at.is_(None), Checkin.sent_at <= now - remind_after)).all()
    return [Candidate(*row) for row in rows]


def claim_reminder(checkin_id: int, now: datetime, database_url: Optional[str] = None) -> bool:
    """At most one reminder per check-in, whichever scheduler gets there first."""
    with session_scope(database_url) as session:
        return session.execute(
            update(Checkin).where(Checkin.id == checkin_id, Checkin.state == "sent",
                                  Checkin.reminded_at.is_(None), _active())
            .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount == 1


def mark_missed(now: datetime, missed_after: timedelta, database_url: Optional[str] = None) -> int:
    with session_scope(database_url) as session:
        return session.execute(
            update(Checkin).where(Checkin.state == "sent", Checkin.reminded_at <= now - missed_after)
            .values(state="missed").execution_options(synchronize_session=False)).rowcount


def record_answer(conversation: str, now: datetime, pain: Optional[int] = None,
                  warning_sign: Optional[bool] = None, database_url: Optional[str] = None) -> Optional[int]:
    """Stores the patient's answer on the latest check-in sent on this conversation;
    returns its id (None when no check-in is open). Pain and the warning-sign answer
    come in separate turns: each sets its own column."""
    with session_scope(database_url) as session:
        checkin = session.execute(
            select(Checkin).join(CheckinEnrolment, Checkin.enrolment_id == CheckinEnrolment.id)
            .where(CheckinEnrolment.conversation_id == conversation,
                   Checkin.state.in_(("sending", "sent", "missed", "answered")))
            .order_by(Checkin.due_at.desc()).limit(1)).scalars().first()
        if checkin is None:
            return None
        if pain is not None:
            checkin.pain = pain
        if warning_sign is not None:
            checkin.warning_sign = warning_sign
        checkin.state = "answered"
        checkin.answered_at = checkin.answered_at or now
        return checkin.id
