"""How many requests, and how many mutations, a buyer and a client address may send per minute."""

from __future__ import annotations

import math
import threading
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class _MovingWindows:
    """Buckets counted within a moving window: a client cannot double its rate by bursting
    at the end of one minute and the start of the next. Safe to call from the event loop and
    from threads: one lock makes "test every bucket, then hit them all" a single step."""

    def __init__(self, window_seconds: int) -> None:
        if window_seconds < 1:
            raise ValueError("a rate limit's window must be at least 1 second")
        self.window_seconds = window_seconds
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._lock = threading.Lock()

    def item(self, per_window: int, namespace: str) -> RateLimitItem:
        if per_window < 1:
            raise ValueError("rate limits must be at least 1")
        return RateLimitItemPerSecond(per_window, self.window_seconds, namespace=namespace)

    def spend(self, buckets: list[tuple[RateLimitItem, str]]) -> int | None:
        """None when every bucket had room (one hit spent from each), or the whole seconds, at
        least 1, until the fullest may be used again (nothing spent)."""
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
        return min(self.window_seconds, max(1, math.ceil(wait)))


class MutationRateLimiter:
    """Mutations per buyer and per client address within a moving window (a minute).

    Counts live in this process's memory: each worker process or instance keeps its own,
    so with N of them a client may send up to N times the limit. That bounds abuse without
    a shared store; an exact bound across instances would need limits' Redis storage.
    """

    def __init__(self, per_buyer: int, per_address: int, *, window_seconds: int = 60) -> None:
        self._windows = _MovingWindows(window_seconds)
        self._per_buyer = self._windows.item(per_buyer, "buyer")
        self._per_address = self._windows.item(per_address, "address")

    def check(self, buyer: str | None, address: str | None) -> int | None:
        """None when the mutation may go ahead (one hit spent from each bucket that applies),
        or the whole seconds, at least 1, until it may be retried (nothing spent)."""
        buckets: list[tuple[RateLimitItem, str]] = []
        if buyer is not None:
            buckets.append((self._per_buyer, buyer))
        if address is not None:
            buckets.append((self._per_address, address))
        return self._windows.spend(buckets)


class AddressRateLimiter:
    """Requests to one endpoint per client address within a moving window (a minute)."""

    def __init__(self, per_address: int, namespace: str, *, window_seconds: int = 60) -> None:
        self._windows = _MovingWindows(window_seconds)
        self._per_address = self._windows.item(per_address, namespace)

    def check(self, address: str | None) -> int | None:
        """None when the request may go ahead, else the seconds until it may be retried."""
        return None if address is None else self._windows.spend([(self._per_address, address)])


class RequestRateLimiter:
    """Every GraphQL request, query or not, per client address within a moving window; and
    a much smaller budget for requests without a valid token, which can only be refused and
    so only cost the server (per process, like the mutation limits)."""

    def __init__(self, per_address: int, anonymous_per_address: int, *, window_seconds: int = 60):
        self._windows = _MovingWindows(window_seconds)
        self._per_address = self._windows.item(per_address, "requests")
        self._anonymous = self._windows.item(anonymous_per_address, "anonymous")

    def check(self, address: str | None, *, anonymous: bool) -> int | None:
        """None when the request may go ahead, else the seconds until it may be retried."""
        if address is None:
            return None
        buckets = [(self._per_address, address)]
        if anonymous:
            buckets.append((self._anonymous, address))
        return self._windows.spend(buckets)
