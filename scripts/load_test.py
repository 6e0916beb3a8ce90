"""Load test (a command, not a test): many conversations at once, with Locust.

    python -m scripts.load_test [--users 50] [--seconds 60] [--target embedded|cluster]

Starts the assistant itself (`embedded`: one Rasa server on SQLite, as the run
command; `cluster`: two Rasa servers and two action servers behind nginx on
PostgreSQL, Redis and RabbitMQ, scripts/cluster.py) or uses `--url` and
`--token` of one already running. Each simulated user is one conversation
that asks catalogue questions and goes through the screening checklist, one
message at a time, as a patient would (a pause of 0.5-2 s between messages).

Prints messages a second, p50/p95/p99, errors by kind, and then compares, for
every conversation, the messages acknowledged with a 200 with the messages
stored (read back from the tracker): lost, duplicated, stored without an
acknowledgement. A 503 is a deliberate "send it again" and is counted apart.
Exit status 1 when anything was lost or duplicated or a 5xx other than 503 came.
"""
from __future__ import annotations

# Locust runs on gevent, which must patch the standard library before anything else loads.
from locust import HttpUser, between, task  # isort: skip
from locust.exception import StopUser  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import itertools
import os
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional

import gevent
import requests

from tests.support.patient_scripts import CHECKLIST

QUESTIONS = [
    "what is kyphoplasty", "how long is recovery", "is it safe", "will I be asleep",
    "what are the risks", "how much does it cost", "my mom has a compression fracture, what is the cement",
    "can I drive after", "I want to talk to a person", "thank you",
]

# sender -> texts acknowledged with a 200, in order; sender -> statuses
ACKNOWLEDGED: Dict[str, List[str]] = defaultdict(list)
STATUSES: Counter = Counter()
_senders = itertools.count()
# Set when the time is up: each user finishes the message it is sending, then stops,
# so no request is cut off (its message stored, its acknowledgement never read).
STOPPING = False


class Patient(HttpUser):
    """One conversation: questions and a checklist, one message at a time."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.sender = f"load-{secrets.token_hex(3)}-{next(_senders)}"
        self.script = itertools.cycle(QUESTIONS[:3] + CHECKLIST + QUESTIONS[3:])

    @task
    def say_next(self) -> None:
        if STOPPING:
            raise StopUser()
        text = next(self.script)
        with self.client.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": text},
                              name="message", catch_response=True, timeout=120) as response:
            STATUSES[response.status_code] += 1
            if response.status_code == 200:
                ACKNOWLEDGED[self.sender].append(text)
                response.success()
            elif response.status_code == 503:
                response.failure("503 (retry)")
            else:
                response.failure(f"HTTP {response.status_code}")


def check_stored(url: str, token: str) -> Dict[str, int]:
    """Acknowledged vs stored, per conversation."""
    found = Counter()
    for sender, acknowledged in ACKNOWLEDGED.items():
        events = requests.get(f"{url}/conversations/{sender}/tracker", params={"token": token},
                              timeout=60).json()["events"]
        stored = [e["text"] for e in events if e["event"] == "user"]
        found["acknowledged"] += len(acknowledged)
        found["stored"] += len(stored)
        if stored != acknowledged:
            missing = Counter(acknowledged) - Counter(stored)
            extra = Counter(stored) - Counter(acknowledged)
            found["lost"] += sum(missing.values())
            found["duplicated or unacknowledged"] += sum(extra.values())
            found["conversations out of order"] += int(not missing and not extra)
    return found


def run_load(url: str, users: int, seconds: int) -> Environment:
    global STOPPING
    environment = Environment(user_classes=[Patient], host=url, stop_timeout=180)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(seconds)
    STOPPING = True
    deadline = time.monotonic() + 180
    while runner.user_count and time.monotonic() < deadline:
        gevent.sleep(0.2)
    runner.quit()
    return environment


def report(environment: Environment, seconds: float, found: Dict[str, int]) -> bool:
    total = environment.stats.total
    print(f"\nmessages: {total.num_requests} in {seconds:.0f} s = {total.num_requests / seconds:.1f} msg/s")
    print("latency (ms): p50 {:.0f}  p95 {:.0f}  p99 {:.0f}  max {:.0f}".format(
        total.get_response_time_percentile(0.5), total.get_response_time_percentile(0.95),
        total.get_response_time_percentile(0.99), total.max_response_time))
    print("HTTP statuses:", dict(sorted(STATUSES.items())))
    for error in environment.stats.errors.values():
        print(f"  error: {error.error} x{error.occurrences}")
    print("acknowledged vs stored:", dict(found))
    other_5xx = sum(n for status, n in STATUSES.items() if status >= 500 and status != 503)
    other_errors = sum(n for status, n in STATUSES.items() if status not in (200, 503))
    ok = (found.get("lost", 0) == 0 and found.get("duplicated or unacknowledged", 0) == 0
          and found.get("conversations out of order", 0) == 0 and other_5xx == 0 and other_errors == 0)
    print("RESULT:", "nothing lost, nothing duplicated" if ok else "FAILED")
    return ok


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--target", choices=["embedded", "cluster"], default="embedded")
    parser.add_argument("--url", help="an assistant already running (with --token)")
    parser.add_argument("--token", default=os.environ.get("RASA_TOKEN", ""))
    args = parser.parse_args(argv)

    from tests.support.assistant_stack import start_assistant  # after gevent's patching
    work = Path(tempfile.mkdtemp(prefix="kyphoplasty-load-"))
    stop = lambda: None  # noqa: E731
    if args.url:
        url, token = args.url.rstrip("/"), args.token
    elif args.target == "embedded":
        stack = start_assistant(work)
        assistant = next(stack)
        url, token, stop = assistant.url, assistant.token, stack.close
    else:
        from scripts.cluster import start_local_production_cluster
        cluster, stop = start_local_production_cluster(work)
        url, token = cluster.url, cluster.token
    print(f"{args.users} conversations for {args.seconds} s against {args.target if not args.url else url}")
    try:
        started = time.monotonic()
        environment = run_load(url, args.users, args.seconds)
        elapsed = time.monotonic() - started
        found = check_stored(url, token)
    finally:
        stop()
    return 0 if report(environment, elapsed, found) else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # gevent's patched threads complain when the interpreter tears down
