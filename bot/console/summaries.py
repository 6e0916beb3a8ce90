"""A per-conversation summary of Rasa's `events`, kept up to date incrementally.

Filtering and sorting thousands of conversations straight from `events` (one row per
event, JSON in a text column) would mean reading every event on every page. Instead
each conversation gets one row in `conversation_summaries` (last activity, channel,
counts of emergencies / not-covered / fallback replies, searchable text) plus its
answer ids in `conversation_answers`; both are indexed.

The summary is *derived*: a conversation's row is always recomputed from all its
events (never incremented), so recomputing twice, or from two processes at once,
gives the same row. `refresh()` finds the conversations with events newer than the
stored watermark (minus a look-back, for events committed out of id order) and
recomputes only those; when nothing is new it costs one `max(id)` query.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional, Sequence

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.console.events import (EMERGENCY, FALLBACK, HANDOFF, NOT_COVERED, events,
                                events_table_exists, parse, utter_action)
from bot.db.models import ConsoleState, ConversationAnswer, ConversationSummary

logger = logging.getLogger(__name__)

summaries = ConversationSummary.__table__
answers = ConversationAnswer.__table__
state = ConsoleState.__table__

WATERMARK = "events_watermark"
LOOKBACK = 500
CHUNK = 300
SEARCH_TEXT_LIMIT = 20_000


def day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def read_watermark(connection: Connection, key: str = WATERMARK) -> int:
    """How far into Rasa's `events` a console job has read (the last row id), by job."""
    value = connection.execute(select(state.c.value).where(state.c.key == key)).scalar()
    return int(value) if value is not None else 0


def write_watermark(connection: Connection, value: int, key: str = WATERMARK) -> None:
    done = connection.execute(update(state).where(state.c.key == key).values(value=str(value)))
    if done.rowcount == 0:
        connection.execute(insert(state).values(key=key, value=str(value)))


def summarise(sender_id: str, rows: Sequence) -> Optional[dict]:
    """One summary row (and answer counts) from a conversation's user/bot events."""
    summary = dict(sender_id=sender_id, channel=None, started_at=None, last_at=None,
                   user_messages=0, bot_messages=0, answers=0, emergencies=0, not_covered=0,
                   fallbacks=0, handoffs=0, preview=None, last_event_id=0)
    texts: List[str] = []
    counts: Dict[str, int] = defaultdict(int)
    for row in rows:
        event = parse(row.data)
        ts = row.timestamp if row.timestamp is not None else event.get("timestamp")
        if ts is None:
            continue
        summary["started_at"] = ts if summary["started_at"] is None else min(summary["started_at"], ts)
        summary["last_at"] = ts if summary["last_at"] is None else max(summary["last_at"], ts)
        summary["last_event_id"] = max(summary["last_event_id"], row.id)
        if row.type_name == "user":
            summary["user_messages"] += 1
            text = event.get("text") or ""
            if summary["preview"] is None and text:
                summary["preview"] = text[:200]
            texts.append(text.lower())
            if summary["channel"] is None and event.get("input_channel"):
                summary["channel"] = str(event["input_channel"])[:64]
        else:
            summary["bot_messages"] += 1
            action = utter_action(event)
            if not action:
                continue
            counts[action[:255]] += 1
            if action == EMERGENCY:
                summary["emergencies"] += 1
            elif action == NOT_COVERED:
                summary["not_covered"] += 1
            elif action == FALLBACK:
                summary["fallbacks"] += 1
            elif action == HANDOFF:
                summary["handoffs"] += 1
            elif "/" in action:
                summary["answers"] += 1
    if summary["last_at"] is None:
        return None
    summary["first_day"] = day(summary["started_at"])
    summary["last_day"] = day(summary["last_at"])
    summary["search_text"] = "\n".join(texts)[:SEARCH_TEXT_LIMIT]
    summary["answer_counts"] = dict(counts)
    return summary


def recompute(connection: Connection, sender_ids: Iterable[str]) -> int:
    """Recompute the summary rows of these conversations (all their events)."""
    sender_ids = sorted(set(sender_ids))
    written = 0
    for start in range(0, len(sender_ids), CHUNK):
        chunk = sender_ids[start:start + CHUNK]
        rows = connection.execute(
            select(events.c.id, events.c.sender_id, events.c.type_name, events.c.timestamp,
                   events.c.data)
            .where(events.c.sender_id.in_(chunk), events.c.type_name.in_(("user", "bot")))
            .order_by(events.c.sender_id, events.c.id)
        ).all()
        grouped: Dict[str, list] = defaultdict(list)
        for row in rows:
            grouped[row.sender_id].append(row)
        new_rows, answer_rows = [], []
        for sender_id in chunk:
            summary = summarise(sender_id, grouped.get(sender_id, []))
            if summary is None:
                continue
            counts = summary.pop("answer_counts")
            new_rows.append(summary)
            answer_rows.extend({"sender_id": sender_id, "answer_id": answer_id, "count": count}
                               for answer_id, count in counts.items())
        connection.execute(delete(answers).where(answers.c.sender_id.in_(chunk)))
        connection.execute(delete(summaries).where(summaries.c.sender_id.in_(chunk)))
        if new_rows:
            connection.execute(insert(summaries), new_rows)
        if answer_rows:
            connection.execute(insert(answers), answer_rows)
        written += len(new_rows)
    return written


def refresh(engine: Engine) -> int:
    """Fold new events into the summaries. Returns how many conversations were updated."""
    if not events_table_exists(engine):
        return 0
    try:
        with engine.begin() as connection:
            newest = connection.execute(select(func.max(events.c.id))).scalar() or 0
            watermark = read_watermark(connection)
            if newest == watermark:
                return 0
            since = max(0, min(watermark, newest) - LOOKBACK)
            senders = connection.execute(
                select(events.c.sender_id).where(events.c.id > since).distinct()).scalars().all()
            updated = recompute(connection, senders)
            write_watermark(connection, newest)
            return updated
    except (IntegrityError, DBAPIError) as error:
        # Another console process refreshed the same conversations at the same time;
        # its rows are identical to ours. Serve what is there.
        logger.info("summary refresh skipped: %s", type(error).__name__)
        return 0


def rebuild(engine: Engine) -> int:
    """Recompute every conversation's summary (e.g. after an upgrade)."""
    if not events_table_exists(engine):
        return 0
    with engine.begin() as connection:
        newest = connection.execute(select(func.max(events.c.id))).scalar() or 0
        connection.execute(delete(answers))
        connection.execute(delete(summaries))
        senders = connection.execute(select(events.c.sender_id).distinct()).scalars().all()
        updated = recompute(connection, senders)
        write_watermark(connection, newest)
    if engine.dialect.name == "postgresql":
        # fresh statistics after a bulk rewrite, so the planner sees the real table sizes
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE conversation_summaries, conversation_answers")
    return updated


def forget(connection: Connection, sender_ids: Sequence[str]) -> None:
    """Drop deleted conversations from the summaries."""
    for start in range(0, len(sender_ids), CHUNK):
        chunk = list(sender_ids[start:start + CHUNK])
        connection.execute(delete(answers).where(answers.c.sender_id.in_(chunk)))
        connection.execute(delete(summaries).where(summaries.c.sender_id.in_(chunk)))
