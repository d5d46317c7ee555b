"""Rate limits shared by every process of a fleet, counted in Redis by the `limits` library
(RATE_LIMIT_STORAGE_URL=redis://…): N instances allow the limit once, not N times.

When Redis cannot answer within STORE_TIMEOUT_SECONDS, the request is let through (fails
open) and a warning is logged, at most once every WARN_EVERY_SECONDS: a store that is down
must not take the payments API down with it, nor make a request wait; the mutations it then
admits are still idempotent and authorised. docs/operations.md says so.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from .rate_limit import Limit, MemoryWindows, WindowStore

STORE_TIMEOUT_SECONDS = 0.25
WARN_EVERY_SECONDS = 30.0
KEY_PREFIX = "toss-graphql"

log = logging.getLogger(__name__)


class RedisWindows:
    """Moving windows of a minute in Redis: one hit per bucket, in order; the first bucket
    that is full refuses the request (the hits before it are spent)."""

    def __init__(self, url: str) -> None:
        self._storage = RedisStorage(
            f"async+{url}",
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix=KEY_PREFIX,
            socket_timeout=STORE_TIMEOUT_SECONDS,
            socket_connect_timeout=STORE_TIMEOUT_SECONDS,
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._items: dict[Limit, RateLimitItem] = {}
        self._warned_at = -math.inf

    def item(self, per_window: int, namespace: str) -> Limit:
        if per_window < 1:
            raise ValueError("rate limits must be at least 1")
        limit = Limit(namespace, per_window)
        self._items[limit] = RateLimitItemPerMinute(per_window, namespace=namespace)
        return limit

    async def spend(self, buckets: list[tuple[Limit, str]]) -> int | None:
        try:
            async with asyncio.timeout(STORE_TIMEOUT_SECONDS):
                for limit, key in buckets:
                    item = self._items[limit]
                    if not await self._limiter.hit(item, key):
                        stats = await self._limiter.get_window_stats(item, key)
                        return max(1, min(60, math.ceil(stats.reset_time - time.time())))
        except Exception as error:  # any failure of the store fails open
            self._unavailable(error)
        return None

    def _unavailable(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "rate limit store unavailable; requests are let through",
                extra={"error": type(error).__name__},
            )


def window_store(url: str) -> WindowStore:
    """The store RATE_LIMIT_STORAGE_URL names: memory:// (this process) or redis://…"""
    if url in ("memory://", ""):
        return MemoryWindows()
    if url.startswith(("redis://", "rediss://", "redis+unix://")):
        return RedisWindows(url)
    raise ValueError(f"RATE_LIMIT_STORAGE_URL must be memory:// or redis://…, not {url!r}")
