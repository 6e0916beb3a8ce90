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
  event broker hears of events only once they are committed;
- a turn that erased the conversation ("forget me", bot/db/erasure.py) deletes
  the conversation's rows here too and is stored from the erasing action on:
  the confirming "yes" is not written back.
Bounded: after `TRACKER_STORE_RETRY_SECONDS` the error is raised.

A turn reads only what it does not know yet (`TRACKER_WINDOW_TURNS`). Stock
Rasa reloads and replays the whole session every turn, and the policies
featurise all of it: on this project turn 300 of one conversation took 7 times
as long as turn 1, and reading the session was a fifth of a ten-turn
conversation's turn. This store keeps, per conversation, the events it last
saved: all of the session while it is short, and once it is longer than the
window, its state where the window starts (slot values, and the event that
started the active form, with its own time: actions/run_keys.py reads it) and
the events of the last N turns. The next turn reads the last row it knows and
the rows stored since (by any server), and replays that, not the whole
session; if that row is gone, the conversation was deleted meanwhile and is
read afresh. Saving appends the events added since the read (no count of the
stored rows). The full conversation is still what `retrieve_full_tracker`
(the HTTP API's tracker, the catalogue contract) and the database hold.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Text, Tuple, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, Event, Restarted, SessionStarted,
                                     SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import URL

from bot.db.erasure import ERASING_ACTION
from bot.settings import get_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 200  # per try; the waiting between tries is asynchronous
FIRST_PAUSE_SECONDS = 0.05
LONGEST_PAUSE_SECONDS = 1.0
WINDOWS_KEPT = 2000  # long conversations whose window this process keeps (least recently used go)
LOADED_EVENTS = "_durable_loaded_events"  # on a tracker: how many of its events are stored already
# a window is dropped (the conversation read afresh) after either
RESTARTS = {SessionStarted.type_name, Restarted.type_name}


@dataclass
class Window:
    """A long conversation as this process last saw it: its state where the window
    starts, the window's events, and the last stored row they account for."""

    state: List[dict]
    events: List[dict]
    last_row_id: int


class TrackerNotStored(Exception):
    """The conversation could not be read or written; the client should retry."""


def durable_engine(url: URL) -> sa.engine.Engine:
    """An engine with the settings this store needs on each database."""
    if url.get_backend_name() == "sqlite":
        pooled = {}
        if url.database and url.database != ":memory:":
            # SQLAlchemy 1.4 opens a file database afresh for every session (NullPool):
            # connecting and the pragmas below were 7% of a short turn. The event loop
            # uses one connection at a time; other threads may take another.
            pooled = {"poolclass": sa.pool.QueuePool, "pool_size": 2, "max_overflow": 8}
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                     "check_same_thread": False}, **pooled)

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
        self.window_turns = get_settings().tracker_window_turns
        self._windows: "OrderedDict[str, Window]" = OrderedDict()

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

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        window = self._windows.get(sender_id) if self.window_turns else None
        if window is not None:
            rows = await self._with_retries("read a conversation", lambda: self._rows_from(
                sender_id, window.last_row_id))
            # The window's last row first, then what was stored since (by any server).
            # Without that row the conversation was deleted meanwhile (the console,
            # retention): what this process remembers of it must not come back.
            still_stored = bool(rows) and rows[0][0] == window.last_row_id
            newer = rows[1:]
            newer_events = [data for _, data in newer]
            if still_stored and not any(data.get("event") in RESTARTS for data in newer_events):
                self._windows.move_to_end(sender_id)
                window.events += newer_events
                if newer:
                    window.last_row_id = newer[-1][0]
                tracker = DialogueStateTracker.from_dict(sender_id, window.state + window.events,
                                                         self.domain.slots)
                setattr(tracker, LOADED_EVENTS, len(tracker.events))
                return tracker
            self._windows.pop(sender_id, None)
        tracker = await self._retrieve(sender_id, fetch_events_from_all_sessions=False)
        if tracker is not None:
            setattr(tracker, LOADED_EVENTS, len(tracker.events))
        return tracker

    def _rows_from(self, sender_id: Text, row_id: int) -> List[Tuple[int, dict]]:
        with self.session_scope() as session:
            return self._read_rows(session, sender_id, row_id)

    def _read_rows(self, session: Any, sender_id: Text, row_id: int) -> List[Tuple[int, dict]]:
        rows = (session.query(self.SQLEvent.id, self.SQLEvent.data)
                .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id >= row_id)
                .order_by(self.SQLEvent.id).all())
        return [(row.id, json.loads(row.data)) for row in rows]

    def _insert_rows(self, session: Any, sender_id: Text, rows: List[dict]) -> Optional[int]:
        """One statement for the turn's rows (the ORM inserted them one by one to
        learn each id); the turns of one conversation are serialised by the lock
        store, so its newest row is this turn's last."""
        session.execute(self.SQLEvent.__table__.insert(), rows)
        return session.query(sa.func.max(self.SQLEvent.id)).filter(
            self.SQLEvent.sender_id == sender_id).scalar()

    def warm_up(self) -> None:
        """Runs a turn's statements once, in a transaction rolled back: nothing is stored.

        SQLAlchemy compiles a statement the first time it runs and caches it; the
        first turn after a start paid about 10 ms for that (server/warm_up.py)."""
        sender = "warm-up"
        with self.session_scope() as session:
            self._event_query(session, sender, fetch_events_from_all_sessions=False).all()
            self._event_query(session, sender, fetch_events_from_all_sessions=False).count()  # a new one
            self._read_rows(session, sender, 0)
            row = {"sender_id": sender, "type_name": ActionExecuted.type_name, "timestamp": 0.0,
                   "intent_name": None, "action_name": ACTION_LISTEN_NAME, "data": "{}"}
            for rows in ([row], [row, row]):  # one row and several are compiled apart
                self._insert_rows(session, sender, rows)
            session.rollback()

    async def bot_events_since(self, sender_id: Text, timestamp: float, limit: int) -> List[dict]:
        """The newest `limit` bot events stored at or after `timestamp`, oldest first.

        For the web chat's missed replies (channels/missed_replies.py): one query
        on the sender's index instead of reading the whole conversation. The
        column is compared with a little room (it is a float like the JSON, but a
        database may round it); the caller compares the event's own timestamp.
        """
        def read() -> List[dict]:
            with self.session_scope() as session:
                rows = (session.query(self.SQLEvent.data)
                        .filter(self.SQLEvent.sender_id == sender_id,
                                self.SQLEvent.type_name == BotUttered.type_name,
                                self.SQLEvent.timestamp >= timestamp - 1e-3)
                        .order_by(self.SQLEvent.id.desc()).limit(limit).all())
                return [json.loads(row.data) for row in reversed(rows)]

        return await self._with_retries("read a conversation's replies", read)

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
        loaded = getattr(tracker, LOADED_EVENTS, None)

        def write() -> Tuple[List[Event], Optional[int]]:
            with self.session_scope() as session:
                if loaded is None:  # not read through this store: count what is stored, as Rasa does
                    stored = self._event_query(session, tracker.sender_id,
                                               fetch_events_from_all_sessions=False).count()
                else:
                    stored = loaded
                new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
                erased_from = erasure_start(new_events)
                if erased_from is not None:
                    # The action server deleted the project's rows; the conversation's
                    # own are deleted here, where they live (the tracker store may have
                    # a database of its own), with this turn kept from the action on.
                    session.query(self.SQLEvent).filter(
                        self.SQLEvent.sender_id == tracker.sender_id).delete(synchronize_session=False)
                    new_events = new_events[erased_from:]
                rows = []
                for event in new_events:
                    data = event.as_dict()
                    rows.append({
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    })
                last_row_id = self._insert_rows(session, tracker.sender_id, rows) if rows else None
                session.commit()
                return new_events, last_row_id

        new_events, last_row_id = await self._with_retries("save a conversation", write)
        setattr(tracker, LOADED_EVENTS, len(tracker.events))
        self._remember_window(tracker, new_events, last_row_id)
        if self.event_broker is not None and new_events:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def _remember_window(self, tracker: DialogueStateTracker, new_events: List[Event],
                         last_row_id: Optional[int]) -> None:
        sender = tracker.sender_id
        if not self.window_turns or any(isinstance(e, (SessionStarted, Restarted)) for e in new_events):
            self._windows.pop(sender, None)  # a new session starts short: read it whole
            return
        if last_row_id is None:
            return  # nothing new; the window kept (if any) is still right
        events = list(tracker.events)  # a deque: no slices
        start = window_start(events, self.window_turns)
        # Still shorter than the window: all of it, from no state.
        state = [] if start is None else state_before(tracker, events, start)
        self._windows[sender] = Window(state=state, events=[e.as_dict() for e in events[start or 0:]],
                                       last_row_id=last_row_id)
        self._windows.move_to_end(sender)
        while len(self._windows) > WINDOWS_KEPT:
            self._windows.popitem(last=False)


def erasure_start(new_events: List[Event]) -> Optional[int]:
    """Where this turn's events are to be stored from, if the patient's conversation
    was erased in it (bot/db/erasure.py): the erasing action; None for any other turn.

    Rasa writes a turn after its actions ran: the "yes" that confirmed the
    deletion, the slots it set and the turn's first steps would otherwise be
    stored again. Only when the action also restarted the conversation (it
    does not when the deletion failed).
    """
    for index, event in enumerate(new_events):
        if (isinstance(event, ActionExecuted) and event.action_name == ERASING_ACTION
                and any(isinstance(later, Restarted) for later in new_events[index + 1:])):
            return index
    return None


def window_start(events: List[Event], turns: int) -> Optional[int]:
    """Index of the `action_listen` before the `turns`-th last user message, or None
    when the conversation has no more than `turns` user messages."""
    user_positions = [i for i, e in enumerate(events) if isinstance(e, UserUttered)]
    if len(user_positions) <= turns:
        return None
    first_kept = user_positions[-turns]
    for index in range(first_kept - 1, -1, -1):
        event = events[index]
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            return index
    return None


def state_before(tracker: DialogueStateTracker, events: List[Event], start: int) -> List[dict]:
    """The conversation's state just before `events[start]`, as events: the slots that
    differ from their initial value, and the event that started the active form."""
    before = tracker.init_copy()
    for event in events[:start]:
        before.update(event)
    timestamp = events[start].timestamp
    state = [SlotSet(name, slot.value, timestamp=timestamp).as_dict()
             for name, slot in before.slots.items() if slot.value != slot.initial_value]
    if before.active_loop_name:
        started = next((e for e in reversed(events[:start])
                        if isinstance(e, ActiveLoop) and e.name == before.active_loop_name), None)
        state.append((started or ActiveLoop(before.active_loop_name, timestamp=timestamp)).as_dict())
    return state


def _tracker_store_without_fallback(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
    """Agent._create_tracker_store without the FailSafeTrackerStore wrapper."""
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store


Agent._create_tracker_store = staticmethod(_tracker_store_without_fallback)
