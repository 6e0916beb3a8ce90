"""Buttons under a catalogue answer on Telegram and Slack: its source, and "was this helpful?".

The widget shows "Where this comes from" and a yes/no under every answer; on
the platforms with buttons the same controls are three buttons that send the
payloads actions/sources.py and actions/feedback.py answer. Each names its
answer by the bot event's timestamp, so a tap on an old answer's button is
about that answer, not the latest one. Telegram allows 64 bytes of
callback data: six decimals keep a payload near 55 bytes and the timestamp
within the microsecond the feedback table matches on. SMS and WhatsApp have
no buttons: there the patient asks "where does that come from?" in words.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from bot.db import feedback

SOURCE_BUTTON = "Where this comes from"
HELPFUL_BUTTON = "Helpful"
NOT_HELPFUL_BUTTON = "Not helpful"


def _payload(intent: str, **entities: Any) -> str:
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}"


def answer_buttons(message: Dict[str, Any]) -> Optional[List[Dict[str, str]]]:
    """The three buttons for a catalogue answer with a source, else None."""
    if not feedback.catalogue_answer_id(message.get("utter_action")):
        return None
    source = (message.get("metadata") or {}).get("source") if isinstance(message.get("metadata"), dict) else None
    timestamp = feedback.valid_timestamp(message.get("timestamp"))
    if not source or timestamp is None:
        return None
    answer_ts = float(f"{timestamp:.6f}")
    return [
        {"title": SOURCE_BUTTON, "payload": _payload("ask_source", answer_ts=answer_ts)},
        {"title": HELPFUL_BUTTON, "payload": _payload("feedback", helpful="yes", answer_ts=answer_ts)},
        {"title": NOT_HELPFUL_BUTTON, "payload": _payload("feedback", helpful="no", answer_ts=answer_ts)},
    ]


def with_answer_buttons(message: Dict[str, Any]) -> Dict[str, Any]:
    """The message with the answer's buttons, unless it is no answer or has buttons of its own."""
    if message.get("buttons") or message.get("quick_replies") or not message.get("text"):
        return message
    buttons = answer_buttons(message)
    return {**message, "buttons": buttons} if buttons else message
