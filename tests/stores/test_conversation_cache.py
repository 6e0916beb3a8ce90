"""A turn reads only the rows stored since the last one (stores/tracker_store.py),
on SQLite and PostgreSQL: with two servers writing in turn the conversation read
is the whole one, and a conversation deleted meanwhile does not come back from
a server's memory."""
from __future__ import annotations

import asyncio

import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.stores.support import store_for

SENDER = "web-cached"


def turn(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "about", "confidence": 1.0}))
    tracker.update(BotUttered(f"reply to {text}", metadata={"utter_action": "utter_about/what_is"}))
    tracker.update(ActionExecuted("action_listen"))


def texts(tracker: DialogueStateTracker) -> list:
    return [event.text for event in tracker.events if isinstance(event, (UserUttered, BotUttered))]


def test_two_servers_in_turn_read_the_whole_conversation_and_a_deleted_one_is_gone(database_url):
    one, other = store_for(database_url), store_for(database_url)

    async def scenario():
        start = DialogueStateTracker(SENDER, [])
        start.update(ActionExecuted("action_session_start"))
        start.update(SessionStarted())
        start.update(ActionExecuted("action_listen"))
        turn(start, "first")
        await one.save(start)

        tracker = await one.retrieve(SENDER)
        turn(tracker, "second")
        await one.save(tracker)  # `one` now remembers the conversation
        assert SENDER in one._windows

        tracker = await other.retrieve(SENDER)  # the next turn on another server
        turn(tracker, "third")
        await other.save(tracker)

        seen_by_one = await one.retrieve(SENDER)  # its memory, and the row `other` added
        whole = await one._retrieve(SENDER, fetch_events_from_all_sessions=False)
        assert texts(seen_by_one) == texts(whole) == [
            "first", "reply to first", "second", "reply to second", "third", "reply to third"]
        turn(seen_by_one, "fourth")
        await one.save(seen_by_one)

        engine = sa.create_engine(database_url)  # the console or retention deletes it
        with engine.begin() as connection:
            connection.execute(sa.text("delete from events where sender_id = :s"), {"s": SENDER})
        engine.dispose()
        assert await one.retrieve(SENDER) is None
        assert SENDER not in one._windows

    asyncio.run(scenario())
    for store in (one, other):
        store.engine.dispose()
