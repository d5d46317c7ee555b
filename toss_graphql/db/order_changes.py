"""The process's order change feed: the database's signal, fanned out to its watchers.

Each process keeps one feed (docs/realtime.md): on PostgreSQL a connection that LISTENs to
the notifications the triggers of migration 0004 send at commit; on SQLite a reader of the
`order_changes` log those triggers append to. The feed names the order that changed; the
hub wakes that order's watchers, and each reads the order again.

Start-up waits, within FIRST_LISTEN_SECONDS, for the feed to listen, so a process serves
subscriptions once it hears changes; past that it serves, and /readyz says it is not ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .engine import is_sqlite
from .order_change_hub import OrderChangeHub
from .postgres_notifications import listen_for_changes
from .sqlite_change_log import follow_change_log

log = logging.getLogger(__name__)

# Enough for PostgreSQL's connect and the listener's proof (postgres_notifications.py).
FIRST_LISTEN_SECONDS = 10.0


@asynccontextmanager
async def order_change_feed(database_url: str) -> AsyncIterator[OrderChangeHub]:
    """The process's hub, fed from the database for the block."""
    hub = OrderChangeHub()
    follow = follow_change_log if is_sqlite(database_url) else listen_for_changes
    task = asyncio.create_task(follow(database_url, hub), name="order-change-feed")
    try:
        await _first_listening(hub, task)
        yield hub
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _first_listening(hub: OrderChangeHub, task: asyncio.Task[None]) -> None:
    listening = asyncio.create_task(hub.until_listening())
    try:
        await asyncio.wait(
            (listening, task), timeout=FIRST_LISTEN_SECONDS, return_when="FIRST_COMPLETED"
        )
    finally:
        listening.cancel()
    if task.done():
        task.result()  # a feed that cannot run at all (an in-memory SQLite) stops the start
    elif not hub.listening:
        log.warning("order change feed not listening yet; serving, not ready")
