"""A throwaway PostgreSQL database per test session (per pytest-xdist worker), so parallel
runs never share rows."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg
import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


async def _execute(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def postgres_available() -> bool:
    try:
        asyncio.run(_execute("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def _new_database() -> tuple[str, str]:
    # Named after the pytest-xdist worker too: each worker has its own session, so its own
    # databases, and a leftover one says which worker made it.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"toss_graphql_test_{worker}_{secrets.token_hex(4)}"
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


@contextmanager
def temporary_database() -> Iterator[str]:
    """Yields a SQLAlchemy URL of a new empty database, dropped afterwards."""
    name, url = _new_database()
    asyncio.run(_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        asyncio.run(_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@asynccontextmanager
async def temporary_database_in_loop() -> AsyncIterator[str]:
    """The same, for code already running in an event loop."""
    name, url = _new_database()
    await _execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        await _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def required_temporary_database() -> Iterator[str]:
    """`temporary_database`, or the test skipped when PostgreSQL is not running here: a
    local run may lack it, CI may not (there it fails)."""
    if not postgres_available():
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI requires the PostgreSQL run")
        pytest.skip(message)
    with temporary_database() as url:
        yield url
