"""The replies a web chat missed while its page reloaded or its connection was down.

A reply is sent to the socket that holds the chat when the turn ends. A page
that is reloading, or a connection that dropped, holds none: the reply was
emitted to nobody and was lost for good (testers lost the emergency reply to
"my legs went numb this morning" this way). Replies are stored before they go
out (channels/socketio.py), so the tracker has every one of them; the widget
says which reply it showed last, and gets the ones after it again.

* **Cursor.** Every part of a reply carries its bot event's timestamp and the
  part's number (Rasa splits a text at blank lines): `reply_ts`, `reply_part`
  in its metadata. The event's row id would order them too, but it does not
  exist yet when the reply is made; the timestamp is the id the reply and the
  stored event share, and a conversation's bot events are stored in its order
  (one turn at a time, under the conversation's lock).
* **What the widget says.** `last_reply`: `{"ts", "part"}` of the newest reply
  it showed, or `null` when it showed none yet (everything of the conversation
  is then missed). A widget that says nothing gets nothing: one from before
  this change has its history but no cursor.
* **What it gets.** The bot events stored at or after `ts` (one indexed read,
  the newest `MAX_REPLAYED_EVENTS` at most), turned into the same parts a live
  reply has, and only the parts after the cursor.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from rasa.shared.core.events import BotUttered, Event

from bot.db import feedback

# A reconnect after a long absence is no history download: the widget keeps 200 messages.
MAX_REPLAYED_EVENTS = 50
NOT_ASKED = object()  # session_request without `last_reply`: an older widget, no replay


@dataclass(frozen=True, order=True)
class Cursor:
    """Where a reply part stands in its conversation: (bot event timestamp, part number)."""

    ts: float
    part: int


BEFORE_ALL = Cursor(0.0, -1)


def cursor_of(payload: Any) -> Optional[Cursor]:
    """The cursor a reply part was sent with (its `metadata`), if any."""
    metadata = payload.get("metadata") if isinstance(payload, dict) else None
    if not isinstance(metadata, dict):
        return None
    return parse_cursor(metadata.get("reply_ts"), metadata.get("reply_part"))


def parse_cursor(ts: Any, part: Any) -> Optional[Cursor]:
    timestamp = feedback.valid_timestamp(ts)
    if timestamp is None or isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < 1000:
        return None
    return Cursor(timestamp, part)


def asked_from(data: Dict[str, Any]) -> Any:
    """What a request asks for: NOT_ASKED, BEFORE_ALL (`null`), a Cursor, or None (malformed)."""
    if "last_reply" not in data:
        return NOT_ASKED
    value = data["last_reply"]
    if value is None:
        return BEFORE_ALL
    if not isinstance(value, dict):
        return None
    return parse_cursor(value.get("ts"), value.get("part"))


async def bot_events_after(tracker_store: Any, conversation: str, cursor: Cursor) -> List[Dict[str, Any]]:
    """The conversation's bot events from the cursor's event on, oldest first.

    The project's SQL store reads them with one query on the sender's index;
    any other store (tests, a store configured elsewhere) through its tracker.
    """
    reader = getattr(tracker_store, "bot_events_since", None)
    if reader is not None:
        events = await reader(conversation, cursor.ts, MAX_REPLAYED_EVENTS)
    else:
        tracker = await tracker_store.retrieve_full_tracker(conversation)
        events = [event.as_dict() for event in (tracker.events if tracker else [])
                  if isinstance(event, BotUttered)][-MAX_REPLAYED_EVENTS:]
    return [event for event in events if (feedback.valid_timestamp(event.get("timestamp")) or 0) >= cursor.ts]


def as_messages(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Stored bot events as the messages Rasa handed the output channel when it sent them."""
    events = [Event.from_parameters(data) for data in events if data.get("event") == BotUttered.type_name]
    return [event.message() for event in events if isinstance(event, BotUttered)]


def parts_after(held: List[Tuple[str, Any]], cursor: Cursor) -> List[Any]:
    """Of the reply parts an output made, those after the cursor, in order."""
    after = []
    for _, payload in held:
        position = cursor_of(payload)
        if position is not None and position > cursor:
            after.append(payload)
    return after
