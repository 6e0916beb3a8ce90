"""Token buckets: how often one conversation or one address may do something.

In memory, per process: a limit against a script or a stuck client, not an
account of anyone's use (several servers each allow the rate).
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Tuple


class Buckets:
    """`capacity` actions at once, refilled at `per_second`, for each key."""

    def __init__(self, capacity: float, per_second: float, keys: int = 50_000) -> None:
        self.capacity, self.per_second, self.keys = capacity, per_second, keys
        self._buckets: "OrderedDict[str, Tuple[float, float]]" = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed (and counted); else the seconds until it would be."""
        now = time.monotonic()
        with self._lock:
            level, updated = self._buckets.pop(key, (self.capacity, now))
            level = min(self.capacity, level + (now - updated) * self.per_second)
            if level >= 1:
                self._buckets[key] = (level - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (level, now)
                wait = (1 - level) / self.per_second
            while len(self._buckets) > self.keys:
                self._buckets.popitem(last=False)
        return wait

    def retry_after(self, key: str) -> int:
        """take(), as whole seconds for a Retry-After header (0: allowed)."""
        return math.ceil(self.take(key))
