"""The database's signal of a committed order change, on a real SQLite file and a real
PostgreSQL: what raises a watcher, what does not, and what happens when the feed was away."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.database import kill_change_listeners
from tests.support.pgbouncer import pgbouncer_in_front_of
from toss_graphql.db import postgres_notifications
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.order_change_hub import OrderChangeHub, OrderSignal
from toss_graphql.db.order_changes import order_change_feed
from toss_graphql.db.sqlite_change_log import ChangeLogReader
from toss_graphql.db.tables import OrderRow

QUIET_SECONDS = 0.3
# A guard against a hang, not a measure of speed.
LISTEN_BUDGET_SECONDS = 30
ORDER = "ord_feed_test_0001"
OTHER = "ord_feed_test_0002"


@pytest.fixture
async def engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_database_engine(clean_database)
    now = datetime.now(UTC)
    row = {"buyer": "alice", "order_name": "test", "amount": 1000, "status": "PENDING"}
    async with engine.begin() as connection:
        await connection.execute(
            insert(OrderRow),
            [
                {"order_id": order_id, **row, "created_at": now, "updated_at": now}
                for order_id in (ORDER, OTHER)
            ],
        )
    try:
        yield engine
    finally:
        await engine.dispose()


async def note(engine: AsyncEngine, order_id: str, attention: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            update(OrderRow)
            .where(OrderRow.order_id == order_id)
            .values(attention=attention, updated_at=datetime.now(UTC))
        )


async def listening(hub: OrderChangeHub) -> None:
    """Until the feed hears the database: PostgreSQL's listener has heard its own proof, the
    SQLite reader has found the log's end. A late LISTEN would wake every watcher."""
    await asyncio.wait_for(hub.until_listening(), LISTEN_BUDGET_SECONDS)


async def is_raised(signal: OrderSignal, within: float = 5) -> bool:
    try:
        await asyncio.wait_for(signal.wait(), within)
    except TimeoutError:
        return False
    return True


async def test_a_committed_change_raises_the_watcher_of_its_order(
    engine: AsyncEngine, clean_database: str
) -> None:
    async with order_change_feed(clean_database) as hub:
        await listening(hub)
        with hub.watch(ORDER) as mine, hub.watch(OTHER) as other:
            await note(engine, ORDER, "first")
            assert await is_raised(mine)
            assert not await is_raised(other, QUIET_SECONDS)


async def test_a_rolled_back_change_and_a_lock_raise_nothing(
    engine: AsyncEngine, clean_database: str
) -> None:
    async with order_change_feed(clean_database) as hub:
        await listening(hub)
        with hub.watch(ORDER) as signal:
            async with engine.connect() as connection:
                await connection.execute(
                    update(OrderRow).where(OrderRow.order_id == ORDER).values(attention="undone")
                )
                await connection.rollback()
            async with engine.begin() as connection:
                await connection.execute(
                    update(OrderRow)
                    .where(OrderRow.order_id == ORDER)
                    .values(lock_token="t" * 32, locked_at=datetime.now(UTC))
                )
            assert not await is_raised(signal, QUIET_SECONDS * 2)
            await note(engine, ORDER, "seen")
            assert await is_raised(signal)


@pytest.mark.postgresql_only
async def test_a_lost_listener_listens_again_and_every_watcher_reads_again(
    engine: AsyncEngine, clean_database: str
) -> None:
    async with order_change_feed(clean_database) as hub:
        await listening(hub)
        with hub.watch(ORDER) as signal:
            async with engine.connect() as connection:
                killed = await kill_change_listeners(connection)
            assert killed == 1
            # No change was made: the watcher is raised because the feed was away.
            assert await is_raised(signal)
            await listening(hub)
            await note(engine, ORDER, "after the reconnect")
            assert await is_raised(signal)


class LogWatch(logging.Handler):
    """The feed's log lines, and an event raised by the first that holds `words`."""

    def __init__(self, words: str) -> None:
        super().__init__(logging.INFO)
        self.words = words
        self.seen = asyncio.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if self.words in record.getMessage():
            self.seen.set()


@contextmanager
def watching_log(logger_name: str, words: str) -> Iterator[LogWatch]:
    logger = logging.getLogger(logger_name)
    watch = LogWatch(words)
    level = logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.INFO)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)


@pytest.mark.postgresql_only
async def test_a_listener_behind_a_transaction_pooler_is_never_listening(
    clean_database: str,
) -> None:
    """Through PgBouncer in transaction mode a LISTEN succeeds and hears nothing: the listener
    finds out from its own notification, which never comes back (docs/realtime.md)."""
    deaf = "did not hear its own notification"
    with (
        pgbouncer_in_front_of(clean_database) as bounced,
        watching_log(postgres_notifications.__name__, deaf) as log,
    ):
        async with order_change_feed(bounced) as hub:
            await asyncio.wait_for(log.seen.wait(), LISTEN_BUDGET_SECONDS)
            assert not hub.listening
    assert "listening for order changes" not in log.messages


@pytest.mark.sqlite_only
async def test_a_reader_behind_the_kept_log_raises_every_watcher(
    engine: AsyncEngine, clean_database: str
) -> None:
    reader = ChangeLogReader(str(engine.url.database))
    hub = OrderChangeHub()
    try:
        await note(engine, OTHER, "one")
        await note(engine, OTHER, "two")
        # The first change it has not read is trimmed away, as if 10,000 came after it.
        async with engine.begin() as connection:
            await connection.execute(
                text("DELETE FROM order_changes WHERE seq = :seq"), {"seq": reader.last_seen + 1}
            )
        with hub.watch(ORDER) as signal:
            reader.read_into(hub)
            assert await is_raised(signal, QUIET_SECONDS)
    finally:
        reader.close()
    async with engine.connect() as connection:
        assert (
            await connection.scalar(select(OrderRow.attention).where(OrderRow.order_id == OTHER))
            == "two"
        )


@pytest.mark.sqlite_only
async def test_the_sqlite_log_keeps_its_last_ten_thousand_changes(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        for n in range(10_050):
            await connection.execute(
                update(OrderRow).where(OrderRow.order_id == ORDER).values(attention=f"n{n}")
            )
        kept = await connection.scalar(text("SELECT count(*) FROM order_changes"))
    assert kept == 10_000
