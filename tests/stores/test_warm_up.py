"""The tracker store's warm-up: a turn's statements compiled before the first
patient, and nothing stored (server/warm_up.py)."""
from __future__ import annotations

import asyncio

import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.stores.support import store_for


def compiled_statements(store) -> int:
    cache = store.engine._compiled_cache
    return len(cache) if cache is not None else 0


def stored_rows(store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(store.SQLEvent.__table__)).scalar()


def a_first_turn(store, sender: str) -> None:
    async def turn():
        tracker = await store.get_or_create_tracker(sender)
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                      UserUttered("what is kyphoplasty", {"name": "about", "confidence": 1.0}),
                      ActionExecuted("action_listen")):
            tracker.update(event)
        await store.save(tracker)
        assert await store.retrieve(sender) is not None

    asyncio.run(turn())


def test_the_warm_up_compiles_what_a_first_turn_runs_and_stores_nothing(database_url):
    store = store_for(database_url)
    store.warm_up()
    assert stored_rows(store) == 0
    warmed = compiled_statements(store)
    assert warmed > 0

    a_first_turn(store, "first-patient")
    assert compiled_statements(store) == warmed  # nothing left to compile on the first turn
    assert stored_rows(store) > 0

    fresh = store_for(database_url)  # without the warm-up, the first turn compiles them itself
    a_first_turn(fresh, "second-patient")
    assert compiled_statements(fresh) > 0
