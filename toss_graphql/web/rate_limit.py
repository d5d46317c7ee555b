"""How many requests, and how many mutations, a buyer and a client address may send per minute.

The limiters share one `WindowStore` per process: `MemoryWindows` here, or the Redis windows
of web/shared_rate_limits.py. A client address is counted in its bucket (`address_bucket`):
an IPv6 client is given a whole network, and must not get a budget per address in it."""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# RATE_LIMIT_IPV6_PREFIX: an IPv6 client is counted by its /64 by default, the network an
# ISP gives one subscriber (or one host); 128 counts each address alone.
DEFAULT_IPV6_PREFIX = 64
IPV6_PREFIXES = range(32, 129)


def address_bucket(address: str | None, ipv6_prefix: int = DEFAULT_IPV6_PREFIX) -> str | None:
    """The bucket a client address is counted in: an IPv4 address its own; an IPv6 address
    its network of `ipv6_prefix` bits (an IPv4-mapped one, its IPv4 address). Anything that is
    not an IP address (a Unix socket's peer, a test client's name) is its own bucket."""
    if address is None:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv4Address):
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, ipv6_prefix), strict=False))


def _checked_prefix(ipv6_prefix: int) -> int:
    if ipv6_prefix not in IPV6_PREFIXES:
        raise ValueError("an IPv6 bucket's prefix must be 32 to 128 bits")
    return ipv6_prefix


@dataclass(frozen=True, slots=True)
class Limit:
    namespace: str
    per_window: int


class _MovingWindows:
    """Hits counted within a moving window, per bucket: a client cannot double its rate by
    bursting at the end of one minute and the start of the next.

    Each bucket keeps the times of its hits in the window, oldest first; a call drops those
    that left it. Nothing runs between calls: no timer, no thread (the `limits` library's
    in-memory storage starts a timer thread every 10 ms under load, which cost more than the
    rest of a read). Called on the event loop only, with no await inside, so "test every
    bucket, then hit them all" is a single step.
    """

    def __init__(self, window_seconds: int, clock: Callable[[], float] = time.monotonic) -> None:
        if window_seconds < 1:
            raise ValueError("a rate limit's window must be at least 1 second")
        self.window_seconds = window_seconds
        self._clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._next_sweep = clock() + window_seconds

    def item(self, per_window: int, namespace: str) -> Limit:
        if per_window < 1:
            raise ValueError("rate limits must be at least 1")
        return Limit(namespace, per_window)

    def spend(self, buckets: list[tuple[Limit, str]]) -> int | None:
        """None when every bucket had room (one hit spent from each), or the whole seconds, at
        least 1, until the fullest may be used again (nothing spent)."""
        now = self._clock()
        if now >= self._next_sweep:
            self._forget_idle(now)
        waits = [
            wait
            for limit, key in buckets
            if (wait := self._wait(self._hits.get((limit.namespace, key)), limit, now)) is not None
        ]
        if waits:
            return min(self.window_seconds, max(1, math.ceil(max(waits))))
        for limit, key in buckets:
            self._hits.setdefault((limit.namespace, key), deque()).append(now)
        return None

    def _wait(self, hits: deque[float] | None, limit: Limit, now: float) -> float | None:
        if not hits:
            return None
        window_start = now - self.window_seconds
        while hits and hits[0] <= window_start:
            hits.popleft()
        if len(hits) < limit.per_window:
            return None
        # Room comes back when the oldest of the last `per_window` hits leaves the window.
        return hits[len(hits) - limit.per_window] + self.window_seconds - now

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets with no hit left in the window, so memory follows live clients."""
        window_start = now - self.window_seconds
        self._hits = {key: hits for key, hits in self._hits.items() if hits[-1] > window_start}
        self._next_sweep = now + self.window_seconds


class WindowStore(Protocol):
    """Where the moving windows' hits are counted: this process's memory, or Redis for a
    fleet (RATE_LIMIT_STORAGE_URL, web/shared_rate_limits.py)."""

    def item(self, per_window: int, namespace: str) -> Limit: ...

    async def spend(self, buckets: list[tuple[Limit, str]]) -> int | None: ...


class MemoryWindows:
    """The windows in this process's memory (RATE_LIMIT_STORAGE_URL=memory://)."""

    def __init__(self, window_seconds: int = 60) -> None:
        self._windows = _MovingWindows(window_seconds)

    def item(self, per_window: int, namespace: str) -> Limit:
        return self._windows.item(per_window, namespace)

    async def spend(self, buckets: list[tuple[Limit, str]]) -> int | None:
        return self._windows.spend(buckets)


class MutationRateLimiter:
    """Mutations per buyer and per client address within a moving window (a minute).

    Counts live in the store given: this process's memory by default, so that with N
    processes a client may send up to N times the limit; or Redis, shared by the fleet
    (RATE_LIMIT_STORAGE_URL, web/shared_rate_limits.py).
    """

    def __init__(
        self,
        per_buyer: int,
        per_address: int,
        *,
        window_seconds: int = 60,
        store: WindowStore | None = None,
        ipv6_prefix: int = DEFAULT_IPV6_PREFIX,
    ) -> None:
        self._windows = store or MemoryWindows(window_seconds)
        self._ipv6_prefix = _checked_prefix(ipv6_prefix)
        self._per_buyer = self._windows.item(per_buyer, "buyer")
        self._per_address = self._windows.item(per_address, "address")

    async def check(self, buyer: str | None, address: str | None) -> int | None:
        """None when the mutation may go ahead (one hit spent from each bucket that applies),
        or the whole seconds, at least 1, until it may be retried (nothing spent)."""
        buckets: list[tuple[Limit, str]] = []
        if buyer is not None:
            buckets.append((self._per_buyer, buyer))
        if (bucket := address_bucket(address, self._ipv6_prefix)) is not None:
            buckets.append((self._per_address, bucket))
        return await self._windows.spend(buckets)


class AddressRateLimiter:
    """Requests to one endpoint per client address within a moving window (a minute)."""

    def __init__(
        self,
        per_address: int,
        namespace: str,
        *,
        window_seconds: int = 60,
        store: WindowStore | None = None,
        ipv6_prefix: int = DEFAULT_IPV6_PREFIX,
    ) -> None:
        self._windows = store or MemoryWindows(window_seconds)
        self._ipv6_prefix = _checked_prefix(ipv6_prefix)
        self._per_address = self._windows.item(per_address, namespace)

    async def check(self, address: str | None) -> int | None:
        """None when the request may go ahead, else the seconds until it may be retried."""
        bucket = address_bucket(address, self._ipv6_prefix)
        if bucket is None:
            return None
        return await self._windows.spend([(self._per_address, bucket)])


class RequestRateLimiter:
    """Every GraphQL request, query or not, per client address within a moving window; and
    a much smaller budget for requests without a valid token, which can only be refused and
    so only cost the server (counted in the same store as the mutation limits)."""

    def __init__(
        self,
        per_address: int,
        anonymous_per_address: int,
        *,
        window_seconds: int = 60,
        store: WindowStore | None = None,
        ipv6_prefix: int = DEFAULT_IPV6_PREFIX,
    ):
        self._windows = store or MemoryWindows(window_seconds)
        self._ipv6_prefix = _checked_prefix(ipv6_prefix)
        self._per_address = self._windows.item(per_address, "requests")
        self._anonymous = self._windows.item(anonymous_per_address, "anonymous")

    async def check(self, address: str | None, *, anonymous: bool) -> int | None:
        """None when the request may go ahead, else the seconds until it may be retried."""
        bucket = address_bucket(address, self._ipv6_prefix)
        if bucket is None:
            return None
        buckets = [(self._per_address, bucket)]
        if anonymous:
            buckets.append((self._anonymous, bucket))
        return await self._windows.spend(buckets)
