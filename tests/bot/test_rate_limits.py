"""bot/rate_limits.py: a burst, then the refill rate, per key."""
from __future__ import annotations

import time

from bot.rate_limits import Buckets


def test_a_burst_then_the_rate_per_key():
    buckets = Buckets(capacity=3, per_second=10)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    wait = buckets.take("a")
    assert 0 < wait <= 0.1
    assert buckets.take("b") == 0  # another key has its own bucket
    time.sleep(0.12)
    assert buckets.take("a") == 0


def test_retry_after_is_whole_seconds():
    buckets = Buckets(capacity=1, per_second=0.5)
    assert buckets.retry_after("x") == 0
    assert buckets.retry_after("x") == 2
