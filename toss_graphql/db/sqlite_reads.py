"""Order reads on SQLite, answered on the event loop from a read-only connection.

Each aiosqlite call is a hop to the connection's thread and back, about 0.15 ms of CPU, and a
read through it takes several; the read itself, a point lookup in a WAL database, takes tens
of microseconds. So the read path runs its one statement on a plain `sqlite3` connection, on
the event loop, and the writes keep aiosqlite (db/engine.py).

Why this never stalls the loop behind a writer or a checkpoint:
- In WAL mode a reader takes no lock a writer holds: it reads the last committed snapshot
  while a transaction is open, and a checkpoint (PASSIVE, SQLite's automatic kind) never
  waits for readers, nor they for it.
- The connection has `busy_timeout=0`: in the rare cases SQLite does refuse a reader (another
  connection recovering the WAL after a crash, or holding an exclusive lock), the statement
  fails at once instead of sleeping, and that read is run again on a worker thread with the
  writers' patience. `tests/integration/test_read_path.py` holds such a lock and shows
  the loop running on; `make bench` measures the read path against an independent floor.
- It is `query_only`: nothing written through it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from typing import Any

from .engine import SQLITE_BUSY_TIMEOUT_MS
from .read_rows import SQLITE, StatementReads

# The errors for which SQLite refused to wait: the read is worth running again off the loop.
_WOULD_WAIT = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _connect(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    # check_same_thread: the loop's connection is only ever used on the loop's thread, but it
    # is opened lazily and closed at shutdown, which may run elsewhere.
    connection = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=32
    )
    connection.execute("PRAGMA query_only=1")
    connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    return connection


def _fetch_waiting(path: str, sql: str, values: Sequence[Any]) -> list[Any]:
    """The same read on a worker thread, on a connection of its own that waits for locks."""
    connection = _connect(path, SQLITE_BUSY_TIMEOUT_MS)
    try:
        return connection.execute(sql, values).fetchall()
    finally:
        connection.close()


class SqliteOrderReads(StatementReads):
    def __init__(self, path: str) -> None:
        self._path = path
        super().__init__(SQLITE)
        self._connection: sqlite3.Connection | None = None

    async def _fetch(self, sql: str, values: Sequence[Any]) -> list[Any]:
        if self._connection is None:
            # Opened at the first read, after the schema was migrated.
            self._connection = _connect(self._path, 0)
        try:
            # fetchall steps the statement to its end, so no read transaction stays open.
            return self._connection.execute(sql, values).fetchall()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF not in _WOULD_WAIT:
                raise
        return await asyncio.to_thread(_fetch_waiting, self._path, sql, values)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
