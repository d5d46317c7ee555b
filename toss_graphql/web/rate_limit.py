"""How many mutations a buyer and a client address may send per minute."""

from __future__ import annotations

import math
import threading
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class MutationRateLimiter:
    """Mutations per buyer and per client address within a moving window (a minute).

    Counts live in this process's memory: each worker process or instance keeps its own,
    so with N of them a client may send up to N times the limit. That bounds abuse without
    a shared store; an exact bound across instances would need limits' Redis storage.

    A moving window, not a fixed one: a client cannot double its rate by bursting at the
    end of one minute and the start of the next. Safe to call from the event loop and from
    threads: one lock makes "test both buckets, then hit both" a single step.
    """

    def __init__(self, per_buyer: int, per_address: int, *, window_seconds: int = 60) -> None:
        if per_buyer < 1 or per_address < 1 or window_seconds < 1:
            raise ValueError("rate limits and their window must be at least 1")
        self._per_buyer = RateLimitItemPerSecond(per_buyer, window_seconds, namespace="buyer")
        self._per_address = RateLimitItemPerSecond(per_address, window_seconds, namespace="address")
        self._window_seconds = window_seconds
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._lock = threading.Lock()

    def check(self, buyer: str | None, address: str | None) -> int | None:
        """None when the mutation may go ahead (one hit spent from each bucket that applies),
        or the whole seconds, at least 1, until it may be retried (nothing spent)."""
        buckets: list[tuple[RateLimitItem, str]] = []
        if buyer is not None:
            buckets.append((self._per_buyer, buyer))
        if address is not None:
            buckets.append((self._per_address, address))
        with self._lock:
            exhausted = [(item, key) for item, key in buckets if not self._limiter.test(item, key)]
            if not exhausted:
                for item, key in buckets:
                    self._limiter.hit(item, key)
                return None
            now = time.time()
            wait = max(
                self._limiter.get_window_stats(item, key).reset_time - now
                for item, key in exhausted
            )
        return min(self._window_seconds, max(1, math.ceil(wait)))
