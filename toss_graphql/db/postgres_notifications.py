"""The PostgreSQL feed: one connection per process LISTENs to the triggers' notifications.

The triggers of migration 0004 call pg_notify in the transaction that changes an order, so a
notification is delivered at commit, and never for a rollback. The listening connection is
the process's own, outside the pool. When it is lost (a restart, a failover, a network cut,
an operator's pg_terminate_backend) it is opened again, and every watcher reads its order
again, since the notifications sent meanwhile went nowhere.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from sqlalchemy.engine import make_url

from .order_change_hub import OrderChangeHub

CHANNEL = "toss_graphql_order_changed"
# How the listening connection shows in pg_stat_activity.
APPLICATION_NAME = "toss-graphql order changes"
# A quiet connection is checked this often, so a silently dead one is found.
CHECK_AFTER_SECONDS = 15.0
CHECK_TIMEOUT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 10.0
FIRST_RETRY_SECONDS = 0.2
LAST_RETRY_SECONDS = 10.0

log = logging.getLogger(__name__)


def asyncpg_dsn(database_url: str) -> str:
    """SQLAlchemy's URL for asyncpg itself: the same server, user and options."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen_for_changes(database_url: str, hub: OrderChangeHub) -> None:
    dsn = asyncpg_dsn(database_url)
    retry = FIRST_RETRY_SECONDS
    while True:
        try:
            await _listen_until_lost(dsn, hub)
            retry = FIRST_RETRY_SECONDS
        except Exception as error:  # whatever broke, the feed must live on: it retries
            log.warning(
                "order change listener unavailable; retrying",
                extra={"error": type(error).__name__, "retry_seconds": retry},
            )
            await asyncio.sleep(retry)
            retry = min(retry * 2, LAST_RETRY_SECONDS)


async def _listen_until_lost(dsn: str, hub: OrderChangeHub) -> None:
    connection = await asyncpg.connect(
        dsn, timeout=CONNECT_TIMEOUT_SECONDS, server_settings={"application_name": APPLICATION_NAME}
    )
    lost = asyncio.Event()
    connection.add_termination_listener(lambda _connection: lost.set())
    try:
        await connection.add_listener(
            CHANNEL, lambda _connection, _pid, _channel, order_id: hub.changed(order_id)
        )
        # Listening again after a loss: what changed while nobody listened is read now.
        hub.changed_all()
        log.info("listening for order changes")
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), CHECK_AFTER_SECONDS)
            except TimeoutError:
                await connection.execute("SELECT 1", timeout=CHECK_TIMEOUT_SECONDS)
        log.warning("order change listener lost its connection; reconnecting")
    finally:
        connection.terminate()
