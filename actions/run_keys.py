"""One key per run of a form, so its side effect happens once.

A turn can run twice: Rasa crashed after the action server stored a screening
result but before the turn was saved, or a client retried after a 503. Both
times the tracker holds the same event that started the form (saved in an
earlier turn), so a key made from the conversation, the form and that event's
time is the same, and the table's unique index turns the second insert into a
look-up of the first row. A new run of the form (start over, a second
checklist) starts with a new event and gets a new key.
"""
from __future__ import annotations

import hashlib
from typing import Optional

from rasa_sdk import Tracker


def form_run_key(tracker: Tracker, form: str) -> Optional[str]:
    """The key of the latest run of `form` in this conversation; None if it never ran."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == form:
            started = repr(event.get("timestamp"))
            return hashlib.sha256(f"{tracker.sender_id}|{form}|{started}".encode()).hexdigest()[:40]
    return None
