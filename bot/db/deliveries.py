"""Claims on platform deliveries: each webhook delivery is handled once.

Telegram resends an update, Twilio a message and Slack an event when it got no
2xx in time, each with the id it had the first time. A delivery is claimed
before its turn runs: the first claim processes it; a copy that arrives after
it was handled is acknowledged without a second answer; a copy that arrives
while it is still being handled is told to come back later (the first may yet
fail). A failed turn releases its claim, so the platform's next try runs it. A
claim left "processing" by a crashed server is taken over after
`ABANDONED_AFTER`. Claims live in the project's database, so they hold across
restarts and across servers, and are deleted after `KEEP_FOR`.
"""
from __future__ import annotations

import enum
from datetime import timedelta
from typing import Optional

from sqlalchemy import and_, delete, insert, update
from sqlalchemy.exc import IntegrityError

from bot.db.models import PlatformDelivery, utc_now
from bot.db.session import session_scope

ABANDONED_AFTER = timedelta(minutes=2)  # far longer than any turn (tens of milliseconds)
KEEP_FOR = timedelta(days=7)  # platforms stop redelivering within a day


class Claim(enum.Enum):
    NEW = "new"  # process it
    DONE = "done"  # handled before: acknowledge, do nothing
    BUSY = "busy"  # being handled now: ask the platform to come back later


def _row(platform: str, delivery_id: str):
    """The WHERE clause for one delivery's row."""
    return and_(PlatformDelivery.platform == platform, PlatformDelivery.delivery_id == delivery_id)


def claim(platform: str, delivery_id: str, database_url: Optional[str] = None) -> Claim:
    now = utc_now()
    key = _row(platform, delivery_id)
    try:
        with session_scope(database_url) as session:
            session.execute(delete(PlatformDelivery).where(PlatformDelivery.claimed_at < now - KEEP_FOR))
            session.execute(insert(PlatformDelivery).values(
                platform=platform, delivery_id=delivery_id, state="processing", claimed_at=now))
        return Claim.NEW
    except IntegrityError:
        pass
    with session_scope(database_url) as session:
        # one statement, so two servers cannot both take over the same claim
        taken_over = session.execute(
            update(PlatformDelivery)
            .where(key, PlatformDelivery.state == "processing",
                   PlatformDelivery.claimed_at < now - ABANDONED_AFTER)
            .values(claimed_at=now)).rowcount
        if taken_over:
            return Claim.NEW
        state = session.execute(PlatformDelivery.__table__.select().where(key)).mappings().first()
    if state is not None and state["state"] == "done":
        return Claim.DONE
    return Claim.BUSY


def settle(platform: str, delivery_id: str, handled: bool, database_url: Optional[str] = None) -> None:
    """Marks the delivery done, or releases it so the platform's next try runs it."""
    key = _row(platform, delivery_id)
    with session_scope(database_url) as session:
        if handled:
            session.execute(update(PlatformDelivery).where(key).values(state="done"))
        else:
            session.execute(delete(PlatformDelivery).where(key))
