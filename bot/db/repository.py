"""What the action server stores: small functions, one transaction each."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from bot.db.models import CallbackRequest, ScreeningResult
from bot.db.session import session_scope


def save_screening(
    *,
    conversation_id: str,
    channel: Optional[str],
    answers: Dict[str, Any],
    outcome: str,
    notes: List[str],
    flagged_for_care_team: bool,
    database_url: Optional[str] = None,
) -> int:
    with session_scope(database_url) as session:
        row = ScreeningResult(
            conversation_id=conversation_id,
            channel=channel,
            answers=answers,
            outcome=outcome,
            notes=notes,
            flagged_for_care_team=flagged_for_care_team,
        )
        session.add(row)
        session.flush()
        return int(row.id)


def save_callback(
    *,
    conversation_id: str,
    channel: Optional[str],
    name: str,
    phone: str,
    screening_id: Optional[int],
    database_url: Optional[str] = None,
) -> int:
    with session_scope(database_url) as session:
        row = CallbackRequest(
            conversation_id=conversation_id,
            channel=channel,
            name=name,
            phone=phone,
            consent=True,
            screening_id=screening_id,
        )
        session.add(row)
        session.flush()
        return int(row.id)
