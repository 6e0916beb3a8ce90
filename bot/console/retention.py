"""Deleting conversations: retention by age, and one conversation on request.

    python -m bot.console.retention [--older-than-days N] [--dry-run]

N defaults to CONSOLE_RETENTION_DAYS (365). A conversation is older than N days when
its newest event is; it is deleted with everything about it: Rasa's `events` rows,
screening results, callback requests, and the console's review state, flags, content-gap questions and
summary. Screening results and callback requests created more than N days ago are
deleted too, whatever their conversation. The audit log keeps a record of the deletion (ids and counts only).
"""
from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from bot.console import summaries as summary_index
from bot.console.events import events, events_table_exists
from bot.db.models import (AuditEntry, CallbackRequest, ContentGapQuestion, ConversationNote,
                           ConversationReview, ConversationTag, FlaggedMessage, ScreeningResult)

CHUNK = 500
PROJECT_TABLES = [
    (CallbackRequest.__table__, "conversation_id"),  # before screenings (foreign key)
    (ScreeningResult.__table__, "conversation_id"),
    (FlaggedMessage.__table__, "sender_id"),
    (ContentGapQuestion.__table__, "sender_id"),  # the gap queue's next refresh fixes its groups
    (ConversationNote.__table__, "sender_id"),
    (ConversationTag.__table__, "sender_id"),
    (ConversationReview.__table__, "sender_id"),
]


def delete_conversations(connection: Connection, sender_ids: Sequence[str]) -> Dict[str, int]:
    """Delete these conversations everywhere, in the caller's transaction."""
    counts: Dict[str, int] = {"conversations": len(sender_ids), "events": 0}
    has_events = events_table_exists(connection)
    for start in range(0, len(sender_ids), CHUNK):
        chunk = list(sender_ids[start:start + CHUNK])
        if has_events:
            counts["events"] += connection.execute(
                delete(events).where(events.c.sender_id.in_(chunk))).rowcount or 0
        for table, column in PROJECT_TABLES:
            counts[table.name] = counts.get(table.name, 0) + (connection.execute(
                delete(table).where(table.c[column].in_(chunk))).rowcount or 0)
    summary_index.forget(connection, list(sender_ids))
    return counts


def expired_conversations(connection: Connection, cutoff: float) -> List[str]:
    if not events_table_exists(connection):
        return []
    newest = func.max(events.c.timestamp)
    return list(connection.execute(
        select(events.c.sender_id).group_by(events.c.sender_id).having(newest < cutoff)).scalars())


def apply_retention(connection: Connection, older_than_days: int,
                    dry_run: bool = False) -> Dict[str, int]:
    if older_than_days < 1:
        raise ValueError("--older-than-days must be at least 1")
    cutoff = datetime.now(timezone.utc) - timedelta(days=older_than_days)
    senders = expired_conversations(connection, cutoff.timestamp())
    if dry_run:
        return {"conversations": len(senders)}
    counts = delete_conversations(connection, senders)
    # project rows past the age (also those whose conversation is already gone)
    for table, _column in PROJECT_TABLES[:2]:
        counts[table.name] += connection.execute(
            delete(table).where(table.c.created_at < cutoff)).rowcount or 0
    audit = AuditEntry.__table__
    connection.execute(audit.insert().values(
        username="system", action="retention", target=f"older than {older_than_days} days",
        detail=str(counts), at=datetime.now(timezone.utc)))
    return counts


def main(argv: Optional[Sequence[str]] = None) -> None:
    from bot.db.session import get_engine
    from bot.settings import get_console_settings, get_settings

    parser = argparse.ArgumentParser(description="Delete conversations older than the retention age.")
    parser.add_argument("--older-than-days", type=int, default=get_console_settings().retention_days)
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL")
    parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    args = parser.parse_args(argv)
    engine = get_engine(args.database_url or get_settings().database_url)
    started = time.perf_counter()
    with engine.begin() as connection:
        counts = apply_retention(connection, args.older_than_days, args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"retention ({args.older_than_days} days): {verb} "
          + ", ".join(f"{n} {name}" for name, n in counts.items())
          + f" in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
