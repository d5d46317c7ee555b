"""The sandbox's own database: engine set-up and the two kinds of transaction it runs.

Several server processes may share one SQLite file, so the file is opened in WAL mode (readers
never block the writer) with a busy timeout (a writer waits for the lock instead of failing),
and every state-changing transaction starts with `BEGIN IMMEDIATE`: it takes the write lock
before its first read, so two processes can never both read "IN_PROGRESS" and both approve.

Within one process, write transactions on SQLite also queue on an asyncio lock before they
take a connection: SQLite admits one writer at a time anyway, and a writer waiting in SQLite's
busy handler sleeps in steps of milliseconds, where one waiting on the lock resumes as soon as
the previous writer commits.

The pool is fixed in size (no overflow): an overflow connection is opened for one checkout and
closed at checkin, which under load means a new connection per request, and with aiosqlite a
new thread each time. A request that finds every connection busy waits for one instead.

On PostgreSQL the tables are made under a transaction-scoped advisory lock: workers starting
together on a fresh database would otherwise both find no tables and both CREATE them, and
the loser fails on PostgreSQL's catalog (`pg_type_typname_nsp_index`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import URL, event, inspect, make_url, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from one_trip_sqlite import one_trip_connector
from toss_sandbox.storage.tables import SCHEMA_VERSION, metadata, sandbox_state

logger = logging.getLogger(__name__)

_IMMEDIATE: Final = "sandbox_begin_immediate"
_BUSY_TIMEOUT_MS: Final = 10_000
# Connections per process. SQLite: one writer at a time (the write lock), plus readers such as
# the admin endpoints and the background task. PostgreSQL: as many as SQLAlchemy keeps by
# default, which load tests showed to be enough (a request spends its time in Python, not
# waiting on PostgreSQL), and few enough that several worker processes stay well inside
# PostgreSQL's default of 100 connections.
_SQLITE_POOL_SIZE: Final = 4
_POSTGRESQL_POOL_SIZE: Final = 5
# Any fixed 64-bit number will do, as long as every sandbox process uses the same one; this
# one is the CRC-32 of "toss_graphql.sandbox schema" (the package's former name), to stay
# clear of other users' keys. It is kept as it is so that old and new processes still agree.
_SCHEMA_LOCK_KEY: Final = 2_896_609_250


def _configure_sqlite_connection(
    dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
) -> None:
    # The driver must not open transactions on its own: `_begin` below emits BEGIN itself,
    # which is SQLAlchemy's documented way to choose BEGIN IMMEDIATE with (aio)sqlite.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # busy_timeout first: switching to WAL needs a lock another process may hold.
    cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # NORMAL, not SQLite's default FULL: in WAL mode a commit then no longer waits for an
    # fsync of the log. A crash of the sandbox process still loses nothing committed, and
    # readers in other processes see each commit at once; only a power cut or an OS crash
    # can take back the last commits. The sandbox's state is test state, not a ledger, and
    # an fsync per commit was most of the time a request spent holding the write lock.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _stored_schema_version(connection: Connection) -> int | None:
    """The version the database was made with; None when it holds no sandbox tables."""
    tables = set(inspect(connection).get_table_names())
    if sandbox_state.name in tables:
        version = connection.execute(select(sandbox_state.c.schema_version)).scalar()
        if version is not None:
            return int(version)
    # Tables from before the version was recorded (version 1), or none at all.
    return 1 if tables & set(metadata.tables) else None


def _prepare_schema(connection: Connection) -> None:
    """Create the tables, or rebuild them empty when they are of another version."""
    if connection.dialect.name == "postgresql":
        # Held until this transaction ends, so the next process to get it reads the tables
        # this one committed (each statement under READ COMMITTED sees the latest commits).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
    version = _stored_schema_version(connection)
    if version is not None and version != SCHEMA_VERSION:
        logger.warning(
            "the sandbox database holds tables of schema version %s, this sandbox uses %s: "
            "its state (payments, logs) is discarded and the tables are made afresh",
            version,
            SCHEMA_VERSION,
        )
        metadata.drop_all(connection)
    metadata.create_all(connection)
    # Tables made by an earlier sandbox of this version may lack an index added since.
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(connection, checkfirst=True)
    if connection.execute(select(sandbox_state.c.id)).first() is None:
        connection.execute(
            sandbox_state.insert().values(
                id=1,
                schema_version=SCHEMA_VERSION,
                clock_offset_us=0,
                webhook_url_set=False,
                webhook_url=None,
            )
        )


def _ensure_sqlite_directory(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if url.database.startswith("file:"):
        return
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _is_sqlite_memory(url: URL) -> bool:
    # SQLAlchemy keeps an in-memory database on one shared connection (a StaticPool), which
    # takes no pool size.
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _engine_options(database_url: str) -> dict[str, Any]:
    url = make_url(database_url)
    # hide_parameters: an error quoting a statement never quotes the card data bound to it.
    options: dict[str, Any] = {"hide_parameters": True}
    if url.get_backend_name() == "postgresql":
        options.update(pool_size=_POSTGRESQL_POOL_SIZE, max_overflow=0)
        if url.get_driver_name() == "asyncpg":
            # The PostgreSQL counterpart of SQLite's synchronous=NORMAL above: a commit no
            # longer waits for its WAL flush. Other sessions see it at once, and a crash of
            # PostgreSQL can lose only the last moments of test state, never leave it torn.
            options["connect_args"] = {"server_settings": {"synchronous_commit": "off"}}
    elif not _is_sqlite_memory(url):
        # aiosqlite with one trip to its thread per statement (one_trip_sqlite), to the file
        # SQLAlchemy would open for this URL; no ROLLBACK on check-in, since every
        # transaction here is begun by `_begin` and ended by its Connection.
        (location, *_), connect_options = url.get_dialect()().create_connect_args(url)
        options.update(
            pool_size=_SQLITE_POOL_SIZE,
            max_overflow=0,
            async_creator=one_trip_connector(location, **connect_options),
            pool_reset_on_return=None,
        )
    return options


class Database:
    """Owns the engine; hands out read and write transactions."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._engine: AsyncEngine | None = None
        self._writer: AsyncEngine | None = None
        # SQLite only: this process's writers, one at a time (see the module's docstring).
        self._write_lock: asyncio.Lock | None = None

    @property
    def started(self) -> bool:
        return self._engine is not None

    async def start(self) -> None:
        """Open the engine and create missing tables; a second call does nothing."""
        if self._engine is not None:
            return
        _ensure_sqlite_directory(self._database_url)
        engine = create_async_engine(self._database_url, **_engine_options(self._database_url))
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
            event.listen(engine.sync_engine, "begin", _begin)
            # Made at each start: a lock belongs to the event loop it first waited in, and a
            # sandbox may be started again in another one.
            self._write_lock = asyncio.Lock()
        self._engine = engine
        # Same pool and events; its connections carry the option `_begin` looks for.
        self._writer = engine.execution_options(**{_IMMEDIATE: True})
        # Inside a write transaction (and on PostgreSQL under `_SCHEMA_LOCK_KEY`) so processes
        # starting together create the tables once.
        async with self.write() as connection:
            await connection.run_sync(_prepare_schema)

    async def close(self) -> None:
        engine, self._engine, self._writer = self._engine, None, None
        self._write_lock = None
        if engine is not None:
            await engine.dispose()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._require(self._engine).begin() as connection:
            yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction holding SQLite's write lock from its first statement.

        Write transactions must not nest: on SQLite the inner one would wait for the outer.
        """
        writer = self._require(self._writer)
        # Taken before the connection, so writers waiting their turn hold no connection.
        async with self._write_lock or contextlib.nullcontext(), writer.begin() as connection:
            yield connection

    @staticmethod
    def _require(engine: AsyncEngine | None) -> AsyncEngine:
        if engine is None:
            raise RuntimeError("the sandbox database is not started; call Sandbox.start()")
        return engine
