"""The web chat's missed replies read from the SQL tracker store (stores/tracker_store.py),
on SQLite and PostgreSQL: one conversation's bot events from a timestamp on, newest kept."""
from __future__ import annotations

import asyncio
import time

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.stores.support import store_for


def test_a_conversations_bot_events_from_a_timestamp_on(database_url):
    store = store_for(database_url)
    now = time.time()  # a real one: all the digits a float has
    stamps = [now + 0.000123, now + 0.5, now + 0.5 + 1e-6, now + 1.25]
    tracker = DialogueStateTracker("web-patient", [])
    tracker.update(UserUttered("hello", timestamp=now))
    for number, stamp in enumerate(stamps):
        tracker.update(BotUttered(f"reply {number}", {"buttons": None}, {"utter_action": "utter_x"},
                                  timestamp=stamp))
        tracker.update(ActionExecuted("action_listen", timestamp=stamp))
    other = DialogueStateTracker("web-other", [])
    other.update(BotUttered("not yours", timestamp=now + 0.75))

    async def scenario():
        await store.save(tracker)
        await store.save(other)

        async def texts(since: float, limit: int = 50) -> list:
            events = await store.bot_events_since("web-patient", since, limit)
            assert all(event["event"] == "bot" for event in events)
            return [event["text"] for event in events]

        assert await texts(0.0) == ["reply 0", "reply 1", "reply 2", "reply 3"]
        # the events keep the exact timestamp the reply was sent with
        events = await store.bot_events_since("web-patient", 0.0, 50)
        assert [event["timestamp"] for event in events] == stamps
        # at or after (the caller keeps what is after its cursor); a little room below it
        assert (await texts(stamps[2]))[-2:] == ["reply 2", "reply 3"]
        assert "reply 0" not in await texts(stamps[1])
        assert await texts(stamps[3] + 1) == []
        assert await texts(0.0, limit=2) == ["reply 2", "reply 3"]  # the newest, oldest first
        assert await store.bot_events_since("web-nobody", 0.0, 50) == []

    try:
        asyncio.run(scenario())
    finally:
        store.engine.dispose()

