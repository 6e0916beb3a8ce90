"""The printable summary of a finished checklist, for the person to take to the appointment.

Built from the conversation's own record, its tracker as Rasa's HTTP API gives
it (RASA_URL, RASA_TOKEN; whatever the tracker store is): the questions exactly as they were
asked (with the person's name for someone else, "your mom"), the answer given
to each (a button's title, or the words typed), the outcome message and its
date. A question asked again (an unclear answer, a question in between, "go
back") shows its last asking and the answer that counted.

The widget server hands it only to a browser holding the conversation's signed
session token (server.py): the conversation id is derived from the session id
with the secret, never taken from the request.
"""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from bot.console.events import utter_action

OUTCOME_PREFIX = "utter_screening_outcome_"
QUESTION_PREFIX = "utter_ask_"
# The checklist's numbered questions (actions/screening.py QUESTIONS; bot/ does not import actions).
QUESTIONS = ("warning_signs", "fracture_found", "fracture_cause", "pain_limits", "mri_active",
             "osteoporosis_treated", "risk_conditions")
START_ACTION = "action_start_screening"
NOT_A_DIAGNOSIS = ("This checklist is general information, not a diagnosis or medical advice. "
                   "Only a doctor who examines you can say whether kyphoplasty is right for you.")
TITLE = "Kyphoplasty checklist: summary for your appointment"


def _answer_shown(question: Dict[str, Any], text: str) -> str:
    """A button's payload ("/affirm") shows as the button's title ("Yes")."""
    if text.startswith("/"):
        for button in (question.get("data") or {}).get("buttons") or []:
            if isinstance(button, dict) and button.get("payload") == text and isinstance(button.get("title"), str):
                return button["title"]
    return text


def build(rows: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The summary of the last finished checklist in `rows` (event dicts, oldest
    first), or None when no checklist in them reached an outcome."""
    outcome_at = next((i for i in range(len(rows) - 1, -1, -1)
                       if rows[i].get("event") == "bot" and (utter_action(rows[i]) or "").startswith(OUTCOME_PREFIX)),
                      None)
    if outcome_at is None:
        return None
    start = next((i for i in range(outcome_at, -1, -1)
                  if rows[i].get("event") == "action" and rows[i].get("name") == START_ACTION), 0)
    asked: Dict[str, Dict[str, Any]] = {}
    pending: Optional[str] = None
    for event in rows[start:outcome_at]:
        kind = event.get("event")
        action = utter_action(event) if kind == "bot" else None
        if action and action.startswith(QUESTION_PREFIX) and action[len(QUESTION_PREFIX):] in QUESTIONS:
            pending = action[len(QUESTION_PREFIX):]
            asked.pop(pending, None)  # asked again: its last asking and answer count, in the order answered
            asked[pending] = {"question": event.get("text") or "", "answer": "", "event": event}
        elif kind == "user" and pending is not None:
            asked[pending]["answer"] = _answer_shown(asked[pending]["event"], event.get("text") or "")
            pending = None
    outcome = rows[outcome_at]
    when = datetime.fromtimestamp(float(outcome.get("timestamp") or 0), tz=timezone.utc)
    return {
        "title": TITLE,
        "date": f"{when.day} {when:%B %Y}",
        "questions": [{"question": item["question"], "answer": item["answer"]}
                      for item in asked.values() if item["answer"]],
        "outcome": outcome.get("text") or "",
        "not_a_diagnosis": NOT_A_DIAGNOSIS,
    }


def for_conversation(conversation_id: str, rasa_url: str, rasa_token: str,
                     timeout: float = 10.0) -> Optional[Dict[str, Any]]:
    """The summary of the conversation's last finished checklist, read from Rasa."""
    query = urllib.parse.urlencode({"token": rasa_token, "include_events": "ALL"})
    address = f"{rasa_url.rstrip('/')}/conversations/{urllib.parse.quote(conversation_id, safe='')}/tracker?{query}"
    with urllib.request.urlopen(address, timeout=timeout) as response:  # noqa: S310 - our own Rasa server
        tracker = json.loads(response.read())
    return build(tracker.get("events") or [])
