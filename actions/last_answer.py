"""Which catalogue answer a request about "that" answer means.

A request typed on SMS or WhatsApp ("where does that come from?", "that was
helpful") means the last catalogue answer of the conversation. A button under
an answer on Telegram or Slack names its answer by the bot event's timestamp
(`answer_ts`), so an old button still means its own answer and never the
latest one. Chitchat, the checklist and every other reply are not answers from
the source: they have no passage and take no feedback.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from bot.db import feedback


@dataclass(frozen=True)
class GivenAnswer:
    answer_id: str  # e.g. "recovery/timeline"
    utter_action: str  # e.g. "utter_recovery/timeline"
    timestamp: float  # the bot event's, which names it in the feedback table


def answer_ts_entity(tracker: Tracker) -> Optional[float]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "answer_ts":
            try:
                return feedback.valid_timestamp(float(entity.get("value")))
            except (TypeError, ValueError):
                return None
    return None


def given_answer(tracker: Tracker) -> Optional[GivenAnswer]:
    """The answer a button named, or else the conversation's latest catalogue answer."""
    named = answer_ts_entity(tracker)
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        utter_action = (event.get("metadata") or {}).get("utter_action")
        answer_id = feedback.catalogue_answer_id(utter_action)
        timestamp = feedback.valid_timestamp(event.get("timestamp"))
        if answer_id is None or timestamp is None:
            continue
        if named is None or abs(timestamp - named) <= feedback.SAME_EVENT_SECONDS:
            return GivenAnswer(answer_id, utter_action, timestamp)
    return None


def source_passages(domain: Dict[str, Any], utter_action: str) -> List[str]:
    """The passages the response's own metadata cites (one place per fact: the domain)."""
    for variation in (domain.get("responses") or {}).get(utter_action) or []:
        source = (variation.get("metadata") or {}).get("source")
        if isinstance(source, list) and all(isinstance(p, str) for p in source):
            return source
    return []
