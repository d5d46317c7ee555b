"""SQLite through aiosqlite with one trip to its thread per statement
(one_trip_sqlite), on a real database file."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.flows import checkout, confirm, create_order
from toss_graphql.db.engine import create_database_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_database_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)"
        )
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call aiosqlite queues to its connection's thread, by the function's name."""
    queued: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        queued.append(getattr(fn, "__name__", type(fn).__name__))
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return queued


async def test_a_statement_is_one_trip_and_a_transaction_adds_only_begin_and_commit(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.connect() as warm:
        await warm.execute(text("SELECT 1"))
    trips.clear()

    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO notes (body) VALUES ('a')"))
        rows = (await connection.execute(text("SELECT id, body FROM notes"))).all()

    assert inserted.rowcount == 1
    assert [tuple(row) for row in rows] == [(1, "a")]
    # BEGIN IMMEDIATE with the INSERT, the SELECT with its rows, COMMIT; no reset on check-in.
    assert len(trips) == 3, trips


async def test_a_transaction_holds_the_write_lock_from_its_first_statement(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """BEGIN IMMEDIATE rides with the first statement: from then on another writer waits; a
    transaction with no statement never took the lock, and leaves none behind."""
    other = sqlite3.connect(tmp_path / "driver.db", timeout=0, isolation_level=None)
    try:
        async with engine.begin():
            pass
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")

        async with engine.begin() as connection:
            await connection.execute(text("SELECT count(*) FROM notes"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_rows_counts_and_ids_come_back_as_sqlite_gives_them(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        many = await connection.execute(
            text("INSERT INTO notes (body) VALUES (:body)"),
            [{"body": "first"}, {"body": "second"}, {"body": "third"}],
        )
        single = await connection.exec_driver_sql("INSERT INTO notes (body) VALUES ('fourth')")
        updated = await connection.execute(text("UPDATE notes SET body = body || '!'"))
        none = await connection.execute(text("SELECT body FROM notes WHERE id = 99"))
        result = await connection.execute(text("SELECT body FROM notes ORDER BY id"))
        first_two = result.fetchmany(2)
        rest = result.fetchall()

    assert many.rowcount == 3
    assert single.lastrowid == 4
    assert updated.rowcount == 4
    assert none.first() is None
    assert [row.body for row in first_two] == ["first!", "second!"]
    assert [row.body for row in rest] == ["third!", "fourth!"]


async def test_a_refused_statement_raises_sqlalchemys_error_and_the_connection_goes_on(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO notes (body) VALUES ('same')"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('same')"))
    async with engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM notes"))).scalar_one()
    assert count == 1


async def test_a_connection_closed_inside_its_transaction_rolls_it_back(
    engine: AsyncEngine,
) -> None:
    """With no reset on the way back to the pool, closing must still end the transaction:
    the row is gone and the next BEGIN IMMEDIATE finds no transaction open."""
    connection = await engine.connect()
    await connection.begin()
    await connection.execute(text("INSERT INTO notes (body) VALUES ('abandoned')"))
    await connection.close()

    async with engine.begin() as again:
        await again.execute(text("INSERT INTO notes (body) VALUES ('kept')"))
    async with engine.connect() as reader:
        bodies = (await reader.execute(text("SELECT body FROM notes"))).scalars().all()
    assert bodies == ["kept"]


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("catalog")
async def test_a_confirm_on_sqlite_takes_eight_trips_to_the_thread(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, trips: list[str]
) -> None:
    """The claim (UPDATE, audit INSERT, COMMIT) and the settlement (the order with its
    payment, UPDATE, the payment's upsert, audit INSERT, COMMIT), each BEGIN IMMEDIATE riding
    with its first statement; the order is first read on the read path, off the thread."""
    order = await create_order(api, alice, {"lines": [{"sku": "cafe-latte", "quantity": 2}]})
    redirect = await checkout(sandbox_client, order)
    trips.clear()

    payload = await confirm(api, alice, redirect)

    assert payload["errors"] == [] and payload["order"]["status"] == "PAID"
    assert len(trips) == 8, trips
