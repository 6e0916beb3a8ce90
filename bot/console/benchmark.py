"""Server time of the conversation list and the dashboard with 10,000 conversations.

    python -m bot.console.benchmark [--conversations 10000] [--requests 40]
                                    [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Creates a fresh PostgreSQL database, fills Rasa's `events` table with generated
conversations (Rasa's event format) and the project's screening / callback rows,
builds the summaries once, then times requests through Flask's test client (the whole
server-side handling: session, queries, templates, charts) and prints p50 / p95.
The database is dropped afterwards.
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid

from sqlalchemy import create_engine, text

CASES = [
    ("list, page 1", "/conversations"),
    ("list, page 50", "/conversations?page=50"),
    ("list, emergency filter", "/conversations?emergency=1"),
    ("list, not covered/fallback + channel", "/conversations?problem=any&channel=rest"),
    ("list, answer id filter", "/conversations?answer=recovery/timeline"),
    ("list, free-text search", "/conversations?q=cement"),
    ("list, date range + unreviewed", "/conversations?date_from={d1}&date_to={d2}&reviewed=no"),
    ("dashboard, 30 days", "/dashboard"),
    ("dashboard, 7 days", "/dashboard?date_from={d2m}&date_to={d2}"),
]


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per case")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    from datetime import date, timedelta

    from bot.console import auth, create_app, summaries
    from bot.settings import ConsoleSettings
    from bot.console.sampledata import populate
    from bot.db.migrate import upgrade
    from bot.db.session import get_engine

    name = f"console_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        engine = get_engine(url)
        started = time.perf_counter()
        with engine.begin() as connection:
            populate(connection, args.conversations, start=time.time() - 30 * 86400, days=30, seed=2026)
            auth.create_user(connection, "bench", "benchmark password", "reviewer")
        with engine.connect() as connection:
            n_events = connection.execute(text("select count(*) from events")).scalar()
        print(f"generated {args.conversations} conversations, {n_events} events in "
              f"{time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        built = summaries.rebuild(engine)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))  # what autovacuum does soon after a bulk load
        print(f"built {built} conversation summaries in {time.perf_counter() - started:.1f}s (once; then incremental)")

        app = create_app(url, settings=ConsoleSettings(secret_key="bench" * 10))
        client = _signed_in(app)
        today = date.today()
        values = {"d1": (today - timedelta(days=20)).isoformat(), "d2": today.isoformat(),
                  "d2m": (today - timedelta(days=6)).isoformat()}
        print(f"\n{'case':40} {'p50 ms':>8} {'p95 ms':>8} {'first ms':>9}  (n={args.requests} each)")
        for label, path in CASES:
            path = path.format(**values)
            timings = []
            for _ in range(args.requests + 1):
                begin = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - begin) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            first, rest = timings[0], timings[1:]
            print(f"{label:40} {statistics.median(rest):8.1f} {percentile(rest, 0.95):8.1f} {first:9.1f}")
    finally:
        from bot.db import session as db_session

        get_engine(url).dispose()
        db_session.get_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _signed_in(app):
    import re

    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"username": "bench", "password": "benchmark password",
                                             "csrf_token": token})
    assert response.status_code == 302, "benchmark sign-in failed"
    return client


if __name__ == "__main__":
    main()
