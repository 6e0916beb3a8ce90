"""What the action server stores: small functions, one transaction each."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional, Type

from sqlalchemy import func, select, true
from sqlalchemy.exc import IntegrityError

from bot.db.models import CallbackRequest, ScreeningResult, utc_now
from bot.db.session import session_scope


def _insert_once(row: Any, model: Type[Any], database_url: Optional[str]) -> int:
    """Inserts `row`, or returns the id of the row already stored with its run_key."""
    try:
        with session_scope(database_url) as session:
            session.add(row)
            session.flush()
            return int(row.id)
    except IntegrityError:
        if row.run_key is None:
            raise
        with session_scope(database_url) as session:
            return int(session.execute(
                select(model.id).where(model.run_key == row.run_key)).scalar_one())


def save_screening(
    *,
    conversation_id: str,
    channel: Optional[str],
    answers: Dict[str, Any],
    outcome: str,
    notes: List[str],
    flagged_for_care_team: bool,
    run_key: Optional[str] = None,
    database_url: Optional[str] = None,
) -> int:
    """Stores a checklist's result once per run_key; returns its id."""
    row = ScreeningResult(
        conversation_id=conversation_id,
        channel=channel,
        answers=answers,
        outcome=outcome,
        notes=notes,
        flagged_for_care_team=flagged_for_care_team,
        run_key=run_key,
    )
    return _insert_once(row, ScreeningResult, database_url)


# A conversation may leave this many open callback requests a day: enough for a
# corrected number, not enough for a script to fill the care team's queue.
OPEN_CALLBACKS_PER_CONVERSATION = 3


class CallbackLimitReached(Exception):
    """This conversation already has as many open requests as it may."""


def save_callback(
    *,
    conversation_id: str,
    channel: Optional[str],
    name: str,
    phone: str,
    screening_id: Optional[int],
    run_key: Optional[str] = None,
    database_url: Optional[str] = None,
) -> int:
    """Stores a callback request once per run_key; returns its id. Raises
    CallbackLimitReached past OPEN_CALLBACKS_PER_CONVERSATION open ones a day."""
    with session_scope(database_url) as session:
        open_today = session.execute(
            select(func.count(CallbackRequest.id)).where(
                CallbackRequest.conversation_id == conversation_id, CallbackRequest.status == "open",
                CallbackRequest.created_at >= utc_now() - timedelta(days=1),
                CallbackRequest.run_key.is_distinct_from(run_key) if run_key else true())).scalar_one()
    if open_today >= OPEN_CALLBACKS_PER_CONVERSATION:
        raise CallbackLimitReached(conversation_id)
    row = CallbackRequest(
        conversation_id=conversation_id,
        channel=channel,
        name=name,
        phone=phone,
        consent=True,
        screening_id=screening_id,
        run_key=run_key,
    )
    return _insert_once(row, CallbackRequest, database_url)
