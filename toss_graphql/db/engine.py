"""One engine per process, configured for each database's durability and locking rules."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from one_trip_sqlite import OneTripConnection, one_trip_connector

# How long a SQLite writer waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled PostgreSQL connection idle this long is pinged before it is used again.
PING_AFTER_IDLE_SECONDS = 10.0
# PostgreSQL connections each process keeps open (DATABASE_POOL_SIZE).
DEFAULT_POOL_SIZE = 20

# SQLITE_DRIVER: one_trip_sqlite (on aiosqlite's private queue to its thread), or aiosqlite as
# SQLAlchemy's adapter drives it, with SQLAlchemy's default pool: the way back for an upgrade of
# aiosqlite that breaks one_trip_sqlite.
SqliteDriver = Literal["one-trip", "aiosqlite"]


# Behind PgBouncer in transaction mode (DATABASE_PGBOUNCER, docs/operations.md) consecutive
# transactions of one connection may run on different server connections, which PgBouncer
# 1.18 does not give prepared statements. So asyncpg keeps no statement cache (its fetches use
# unnamed statements), SQLAlchemy's asyncpg dialect keeps none either, and the statements it
# must name get names no other client can have chosen (SQLAlchemy's documented settings for
# PgBouncer; asyncpg's FAQ). Without them: DuplicatePreparedStatementError.
PGBOUNCER_CONNECT_ARGS: dict[str, Any] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__",
}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_database_engine(
    url: str,
    pool_size: int = DEFAULT_POOL_SIZE,
    *,
    pgbouncer: bool = False,
    sqlite_driver: SqliteDriver = "one-trip",
) -> AsyncEngine:
    if is_sqlite(url):
        return _stock_sqlite_engine(url) if sqlite_driver == "aiosqlite" else _sqlite_engine(url)
    # The pool holds as many connections as the process has requests in flight: a connection
    # opened past it for a burst (overflow) is closed again at once: a new connection and
    # authentication for every request while the burst lasts.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        hide_parameters=True,
        connect_args=PGBOUNCER_CONNECT_ARGS if pgbouncer else {},
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only when it sat idle for a while.

    A restart of PostgreSQL, or a proxy closing quiet connections, must not cost a request;
    but pinging on every checkout (`pool_pre_ping`) is a round trip, and for a read a whole
    BEGIN, ping and ROLLBACK, on the hot path. Under load connections are never idle, and a
    connection lost in use is invalidated by the pool and the read retried (db/postgres_reads.py).
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def note_idle_since(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def ping_if_idle(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection and checks out another.
            raise DisconnectionError from error


def _sqlite_engine(url: str) -> AsyncEngine:
    sqlite_url = make_url(url)
    database = sqlite_url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # The arguments SQLAlchemy would give aiosqlite for this URL, to the same connection with
    # one trip to its thread per statement (one_trip_sqlite).
    (location, *_), options = sqlite_url.get_dialect()().create_connect_args(sqlite_url)
    # One connection per process: aiosqlite runs each connection in its own thread, and a
    # single writer means two transactions of this process can never interleave.
    # hide_parameters: error messages quote statements, never the payment JSON bound to them.
    engine = create_async_engine(
        url,
        async_creator=one_trip_connector(location, **options),
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        # The driver is in autocommit mode (isolation_level None, below) and a transaction is
        # only ever the BEGIN IMMEDIATE of the "begin" hook, which the Connection itself ends
        # with COMMIT or ROLLBACK, on close too: a ROLLBACK on the way back to the pool would
        # be a trip to the thread that finds nothing to undo.
        pool_reset_on_return=None,
        hide_parameters=True,
    )

    _configure_connections(engine)

    @event.listens_for(engine.sync_engine, "begin")
    def begin_immediate(connection: Connection) -> None:
        # Take the write lock up front. A deferred transaction that reads and then writes
        # fails with SQLITE_BUSY when another process wrote in between, and busy_timeout
        # cannot help it; IMMEDIATE makes cross-process transactions queue instead. It is
        # sent with the transaction's first statement (one_trip_sqlite).
        driver = connection.connection.driver_connection
        assert isinstance(driver, OneTripConnection), "the SQLite engine's own driver"
        driver.begin_with_next_statement()

    return engine


def _configure_connections(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers of other processes proceed while one writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        # A ledger must survive power loss: fsync at every commit, WAL or not.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


def _stock_sqlite_engine(url: str) -> AsyncEngine:
    """SQLITE_DRIVER=aiosqlite: SQLAlchemy's aiosqlite adapter and its default pool, with the
    same pragmas and the same BEGIN IMMEDIATE, sent as a statement of its own."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, hide_parameters=True)
    _configure_connections(engine)

    @event.listens_for(engine.sync_engine, "begin")
    def begin_immediate(connection: Connection) -> None:
        # Why IMMEDIATE: _sqlite_engine's hook. The pool's several connections of this process
        # queue for the write lock as other processes' do (busy_timeout).
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
