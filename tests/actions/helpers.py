"""Building rasa-sdk Trackers the way the action server receives them."""
from __future__ import annotations

import asyncio
from typing import Any, Coroutine, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.project import domain

DOMAIN: Dict[str, Any] = domain()


def tracker(
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
    intent: str = "inform",
    entities: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = "screening_form",
    sender_id: str = "test-conversation",
    channel: str = "rest",
    extracted: Optional[Dict[str, Any]] = None,
    form_started: Optional[Dict[str, float]] = None,
) -> Tracker:
    """A tracker after a user message; `extracted` are the slots Rasa filled from it,
    `form_started` the forms started earlier in the conversation, with the time."""
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update(slots or {})
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9},
                        "entities": entities or []},
        events=[{"event": "active_loop", "name": form, "timestamp": at}
                for form, at in (form_started or {}).items()]
        + [{"event": "user", "text": text, "input_channel": channel,
                 "parse_data": {"intent": {"name": intent}}}]
        + [{"event": "slot", "name": name, "value": value} for name, value in (extracted or {}).items()],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def uttered(dispatcher: CollectingDispatcher) -> List[str]:
    return [message.get("response") for message in dispatcher.messages]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Runs an action's async `run` the way the action server would."""
    return asyncio.run(coroutine)
