"""Rate limits shared by every process of a fleet, counted in Redis
(RATE_LIMIT_STORAGE_URL=redis://…): N instances allow the limit once, not N times.

The windows are the in-memory ones' (web/rate_limit.py), kept by one Lua script: a sorted set
of hit times per bucket, every bucket tested, then all hit or none, in one atomic step on
Redis's clock. A burst waits its turn for one of the process's POOL_CONNECTIONS connections,
for as long as Redis answers: no request opens a connection of its own, nor gives up on a
store that is only busy.

The limits fail open (the request is let through, and a warning logged at most once every
WARN_EVERY_SECONDS) exactly when docs/operations.md says: Redis refuses the connection or does
not accept it within STORE_TIMEOUT_SECONDS, does not answer a command within
STORE_TIMEOUT_SECONDS of its turn, or answers with an error; then, for OUTAGE_SECONDS, every
request is let through without asking it. A store that is down must not take the payments
API down with it, nor make requests queue behind it; the mutations it then admits are still
idempotent and authorised.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import secrets
import time

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .rate_limit import Limit, MemoryWindows, WindowStore

# Loopback Redis answers in well under a millisecond; the bound is mostly this process's own
# event loop, which under a burst may take hundreds of milliseconds to read a reply.
STORE_TIMEOUT_SECONDS = 1.0
# Connections each process keeps to Redis: a burst queues for them in turn.
POOL_CONNECTIONS = 32
# After a failure, how long requests are let through without asking Redis.
OUTAGE_SECONDS = 5.0
WARN_EVERY_SECONDS = 30.0
KEY_PREFIX = "toss-graphql"

log = logging.getLogger(__name__)

# KEYS: one sorted set of hit times (ms) per bucket. ARGV[1]: the window in ms; ARGV[2]: this
# hit's member, unique; ARGV[2 + i]: the limit of KEYS[i]. Answers 0 when every bucket had
# room (one hit spent from each), else the ms until the fullest has room (nothing spent).
_SPEND = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local limit = tonumber(ARGV[i + 2])
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then
  return wait
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class RedisWindows:
    """The moving windows in Redis, shared by the fleet: all-or-nothing across the buckets
    of one request, as in memory."""

    def __init__(self, url: str, window_seconds: int = 60) -> None:
        if window_seconds < 1:
            raise ValueError("a rate limit's window must be at least 1 second")
        self.window_seconds = window_seconds
        pool = BlockingConnectionPool.from_url(
            # redis+unix:// is how RATE_LIMIT_STORAGE_URL has long named a Unix socket.
            url.replace("redis+unix://", "unix://", 1),
            max_connections=POOL_CONNECTIONS,
            # Turns are taken before a connection (`_turns`): one is always free by then.
            timeout=STORE_TIMEOUT_SECONDS,
            socket_timeout=STORE_TIMEOUT_SECONDS,
            socket_connect_timeout=STORE_TIMEOUT_SECONDS,
            # No retry: a store that failed once is let through, not waited on again.
            retry=Retry(NoBackoff(), 0),
        )
        self._redis = Redis(connection_pool=pool)
        self._spend = self._redis.register_script(_SPEND)
        self._turns = asyncio.Semaphore(POOL_CONNECTIONS)
        self._members = (f"{secrets.token_hex(8)}:{n}" for n in itertools.count())
        self._down_until = -math.inf
        self._warned_at = -math.inf

    def item(self, per_window: int, namespace: str) -> Limit:
        if per_window < 1:
            raise ValueError("rate limits must be at least 1")
        return Limit(namespace, per_window)

    async def spend(self, buckets: list[tuple[Limit, str]]) -> int | None:
        """None when every bucket had room (one hit spent from each), or the whole seconds, at
        least 1, until the fullest may be used again (nothing spent); None too when Redis
        cannot answer (fails open)."""
        if not buckets:
            return None
        keys = [f"{KEY_PREFIX}:{limit.namespace}:{key}" for limit, key in buckets]
        limits = [limit.per_window for limit, _ in buckets]
        async with self._turns:
            if time.monotonic() < self._down_until:
                return None
            try:
                wait_ms = await self._spend(
                    keys=keys, args=[self.window_seconds * 1000, next(self._members), *limits]
                )
            except (RedisError, OSError, TimeoutError) as error:
                self._unavailable(error)
                return None
        if not wait_ms:
            return None
        return min(self.window_seconds, max(1, math.ceil(int(wait_ms) / 1000)))

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)

    def _unavailable(self, error: Exception) -> None:
        now = time.monotonic()
        self._down_until = now + OUTAGE_SECONDS
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "rate limit store unavailable; requests are let through",
                extra={"error": type(error).__name__},
            )


def window_store(url: str, window_seconds: int = 60) -> WindowStore:
    """The store RATE_LIMIT_STORAGE_URL names: memory:// (this process) or redis://…"""
    if url in ("memory://", ""):
        return MemoryWindows(window_seconds)
    if url.startswith(("redis://", "rediss://", "redis+unix://")):
        return RedisWindows(url, window_seconds)
    raise ValueError(f"RATE_LIMIT_STORAGE_URL must be memory:// or redis://…, not {url!r}")
