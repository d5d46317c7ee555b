"""The PostgreSQL feed: one connection per process LISTENs to the triggers' notifications.

The triggers of migration 0004 call pg_notify in the transaction that changes an order, so a
notification is delivered at commit, and never for a rollback. The listening connection is
the process's own, outside the pool. When it is lost (a restart, a failover, a network cut,
an operator's pg_terminate_backend) it is opened again, and every watcher reads its order
again, since the notifications sent meanwhile went nowhere.

A connection that LISTENs is not proof that notifications arrive: through a transaction
pooler the LISTEN lands on a server session the pooler soon lends to someone else, and every
notification is lost without an error. So the listener proves it hears: on each connect a
second session notifies a token of its own, and the feed counts as listening (/readyz) only
once that token has come back.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import asyncpg
from sqlalchemy.engine import make_url

from .order_change_hub import OrderChangeHub

CHANNEL = "toss_graphql_order_changed"
# How the listening connection shows in pg_stat_activity.
APPLICATION_NAME = "toss-graphql order changes"
# The short-lived session that sends the listener its proof.
PROOF_APPLICATION_NAME = "toss-graphql order changes proof"
# A quiet connection is checked this often, so a silently dead one is found.
CHECK_AFTER_SECONDS = 15.0
CHECK_TIMEOUT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 10.0
FIRST_RETRY_SECONDS = 0.2
LAST_RETRY_SECONDS = 10.0
# How long the listener waits for its own notification before it counts itself deaf.
PROOF_SECONDS = 5.0
# The proof's payload: no order id has this prefix (theirs are the merchant's, `ord_…`-like
# ids of at most 64 characters without a colon).
PROOF_PREFIX = "toss-graphql-listener-proof:"

log = logging.getLogger(__name__)


class DeafListenerError(RuntimeError):
    """The listening session did not receive a notification sent to it."""


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
        except DeafListenerError:
            log.warning(
                "order change listener did not hear its own notification: "
                "DATABASE_LISTEN_URL must reach PostgreSQL itself, not a transaction pooler; "
                "retrying",
                extra={"retry_seconds": retry},
            )
            await asyncio.sleep(retry)
            retry = min(retry * 2, LAST_RETRY_SECONDS)
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
    proof = f"{PROOF_PREFIX}{secrets.token_hex(16)}"
    heard = asyncio.Event()

    def received(_connection: object, _pid: int, _channel: str, payload: str) -> None:
        if payload == proof:
            heard.set()
        elif not payload.startswith(PROOF_PREFIX):
            hub.changed(payload)

    try:
        await connection.add_listener(CHANNEL, received)
        await _notify_from_another_session(dsn, proof)
        try:
            await asyncio.wait_for(heard.wait(), PROOF_SECONDS)
        except TimeoutError:
            raise DeafListenerError from None
        hub.listening_started()
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
        hub.listening_stopped()
        connection.terminate()


async def _notify_from_another_session(dsn: str, proof: str) -> None:
    """Sent from a session of its own: a session hears its own NOTIFY whatever lies between
    it and PostgreSQL, so only another's proves the listening session is reachable."""
    sender = await asyncpg.connect(
        dsn,
        timeout=CONNECT_TIMEOUT_SECONDS,
        server_settings={"application_name": PROOF_APPLICATION_NAME},
    )
    try:
        # The simple query protocol: nothing prepared, which a pooler could mislay. The proof
        # is a fixed prefix and hex digits, nothing to quote.
        await sender.execute(f"NOTIFY {CHANNEL}, '{proof}'", timeout=CHECK_TIMEOUT_SECONDS)
    finally:
        await sender.close(timeout=CHECK_TIMEOUT_SECONDS)
