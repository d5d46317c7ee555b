"""aiosqlite with one trip to its thread per statement (docs/architecture.md §5), for the
service's engine and the sandbox's alike: a package of its own, since neither may import the
other.

aiosqlite runs each call on the connection's own thread and hands the answer back to the
event loop: two thread wake-ups, about 0.14 ms of CPU here. SQLAlchemy's adapter makes three
or four such calls per statement (open a cursor, execute, fetch the rows, close the cursor),
so a confirm took 44 trips, most of its CPU. This connection is aiosqlite's, with its thread
and its queue, but its cursor does the four steps in one trip: it executes, fetches every row
and closes the cursor on the thread, and answers SQLAlchemy's later calls from what it
brought back. A transaction's BEGIN IMMEDIATE goes in its first statement's trip. A confirm now
takes 8 trips: six statements and two commits.

Every row is fetched at once, as SQLAlchemy's aiosqlite adapter already does for every
statement but the server-side cursors this project never opens.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Self

import aiosqlite

# The size of a batch aiosqlite iterates rows in; its own default.
ITER_CHUNK_SIZE = 64


@dataclass(frozen=True, slots=True)
class _Outcome:
    description: Any
    rows: list[Any]
    rowcount: int
    lastrowid: int | None


def _run(
    connection: sqlite3.Connection,
    sql: str,
    parameters: Any,
    *,
    many: bool = False,
    begin: bool = False,
) -> _Outcome:
    """On the connection's thread: the transaction's BEGIN if it is the first statement of
    one, the statement, all its rows, and the cursor closed."""
    if begin:
        connection.execute("BEGIN IMMEDIATE")
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Outcome(cursor.description, rows, cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


class OneTripCursor:
    """The cursor SQLAlchemy's adapter drives: async like aiosqlite's, one trip per execute."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> Self:
        return self._keep(await self._connection.on_thread(_run, sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Self:
        run = partial(_run, many=True)
        return self._keep(await self._connection.on_thread(run, sql, list(parameters)))

    def _keep(self, outcome: _Outcome) -> Self:
        self.description = outcome.description
        self._rows = deque(outcome.rows)
        self.rowcount = outcome.rowcount
        self.lastrowid = outcome.lastrowid
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        # The sqlite3 cursor was closed on the thread, in the trip that used it.
        self._rows.clear()


class OneTripConnection(aiosqlite.Connection):
    # A transaction begun and not yet sent: BEGIN IMMEDIATE rides with its first statement.
    _begin_pending = False

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        # No trip: the sqlite3 cursor is made on the thread when a statement runs.
        return OneTripCursor(self)

    def begin_with_next_statement(self) -> None:
        """Begin a transaction (BEGIN IMMEDIATE) in the next statement's trip, not one of its
        own. A transaction ended before any statement never began: nothing to send."""
        self._begin_pending = True

    async def commit(self) -> None:
        self._begin_pending = False
        await super().commit()

    async def rollback(self) -> None:
        self._begin_pending = False
        await super().rollback()

    async def on_thread(
        self, work: Callable[..., _Outcome], sql: str, parameters: Sequence[Any] | None
    ) -> _Outcome:
        begin, self._begin_pending = self._begin_pending, False
        # aiosqlite's own queue to its thread, as its methods use it (it is not annotated).
        call = partial(work, sql=sql, parameters=parameters, begin=begin)
        outcome: _Outcome = await self._execute(lambda: call(self._conn))  # type: ignore[no-untyped-call]
        return outcome


def one_trip_connector(database: str, **options: Any) -> Callable[[], Any]:
    """SQLAlchemy's `async_creator`: a new connection to `database`, started."""

    async def connect() -> OneTripConnection:
        connection = OneTripConnection(
            partial(sqlite3.connect, database, **options), ITER_CHUNK_SIZE
        )
        # As SQLAlchemy does for aiosqlite: a forgotten connection must not keep the process up.
        connection._thread.daemon = True
        await connection
        return connection

    return connect
