"""Rasa's SQL tracker store, made to fail loudly instead of losing a turn.

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore`: a failed save is
logged and written to an in-memory store nobody reads again, and a failed read
starts the conversation afresh. The client still gets `200` and a reply, so a
patient's message (maybe an emergency) is acknowledged and never stored. Here:

- the fail-safe wrapper is not used (`Agent._create_tracker_store` is replaced
  when this module is loaded, which Rasa does when endpoints.yml names it), so
  a failed save or read raises and the channel answers with an error the client
  retries (channels/rest.py: 503 with Retry-After);
- SQLite runs in WAL mode (the console reads while Rasa writes) with a short busy
  timeout, and a locked database is retried with `asyncio.sleep` between tries,
  so one blocked conversation never stalls the event loop for the others;
- PostgreSQL connections are checked before use (`pool_pre_ping`), so a
  connection the server dropped is replaced instead of failing the next turn,
  and a connection lost mid-save is retried;
- the count of stored events and the new rows are one transaction, and the
  event broker hears of events only once they are committed.
Bounded: after `TRACKER_STORE_RETRY_SECONDS` the error is raised.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from typing import Any, Callable, List, Optional, Text, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import URL

from bot.settings import get_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 200  # per try; the waiting between tries is asynchronous
FIRST_PAUSE_SECONDS = 0.05
LONGEST_PAUSE_SECONDS = 1.0


class TrackerNotStored(Exception):
    """The conversation could not be read or written; the client should retry."""


def durable_engine(url: URL) -> sa.engine.Engine:
    """An engine with the settings this store needs on each database."""
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # pragma: no cover - exercised through Rasa
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))


def is_transient(error: BaseException) -> bool:
    """A locked database or a lost connection: worth another try."""
    if isinstance(error, sqlalchemy.exc.OperationalError):
        return True
    return isinstance(error, sqlalchemy.exc.DBAPIError) and bool(error.connection_invalidated)


class DurableSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that retries what is transient and raises what is not."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = durable_engine(url)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.retry_seconds = get_settings().tracker_store_retry_seconds

    async def _with_retries(self, what: str, work: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.retry_seconds
        pause = FIRST_PAUSE_SECONDS
        tries = 0
        while True:
            tries += 1
            try:
                return work()
            except sqlalchemy.exc.SQLAlchemyError as error:
                if not is_transient(error) or time.monotonic() + pause > deadline:
                    # the error class only: a statement's parameters hold what the patient wrote
                    logger.error("tracker store could not %s after %d tries: %s",
                                 what, tries, type(error).__name__)
                    raise TrackerNotStored(f"could not {what}") from error
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE_SECONDS)

    async def _retrieve(self, sender_id: Text,
                        fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        def read() -> List[dict]:
            with self.session_scope() as session:
                rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
                return [json.loads(row.data) for row in rows]

        events = await self._with_retries("read a conversation", read)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        def write() -> List[Event]:
            with self.session_scope() as session:
                stored = self._event_query(session, tracker.sender_id,
                                           fetch_events_from_all_sessions=False).count()
                new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
                for event in new_events:
                    data = event.as_dict()
                    session.add(self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    ))
                session.commit()
                return new_events

        new_events = await self._with_retries("save a conversation", write)
        if self.event_broker is not None and new_events:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)


def _tracker_store_without_fallback(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
    """Agent._create_tracker_store without the FailSafeTrackerStore wrapper."""
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store


Agent._create_tracker_store = staticmethod(_tracker_store_without_fallback)
