"""One engine per process, configured for each database's durability and locking rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# How long a SQLite writer waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_database_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        return _sqlite_engine(url)
    # Pre-ping: a PostgreSQL restart must cost one failed checkout, not a failed request.
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
    )


def _sqlite_engine(url: str) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # One connection per process: aiosqlite runs each connection in its own thread, and a
    # single writer means two transactions of this process can never interleave.
    # hide_parameters: error messages quote statements, never the payment JSON bound to them.
    engine = create_async_engine(
        url, pool_size=1, max_overflow=0, pool_timeout=60, hide_parameters=True
    )

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers of other processes proceed while one writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        # A ledger must survive power loss: fsync at every commit, WAL or not.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def begin_immediate(connection: Connection) -> None:
        # Take the write lock up front. A deferred transaction that reads and then writes
        # fails with SQLITE_BUSY when another process wrote in between, and busy_timeout
        # cannot help it; IMMEDIATE makes cross-process transactions queue instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
