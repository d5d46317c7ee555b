"""Several sandbox processes starting together on one fresh PostgreSQL database, as
`toss-graphql serve --workers N` does with a fresh `SANDBOX_DATABASE_URL`."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.support.postgres import (
    POSTGRES_ADMIN_URL,
    postgres_available,
    temporary_database_in_loop,
)
from toss_sandbox.storage.database import Database

# Two workers lost the race in 2 launches of 4; eight starters on each of five fresh
# databases make a lost race near certain wherever schema creation is not serialized.
STARTERS = 8
FRESH_DATABASES = 5


@pytest.fixture(scope="module")
def postgres_reachable() -> None:
    # As tests/conftest.py's `postgres_url`: a local run may lack PostgreSQL, CI may not.
    if not postgres_available():
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI requires the PostgreSQL run")
        pytest.skip(message)


async def _start_together(database_url: str) -> list[str]:
    """Start `STARTERS` sandbox databases at once, each on its own engine (as each worker
    process has); the errors the starts raised."""
    databases = [Database(database_url) for _ in range(STARTERS)]
    try:
        outcomes = await asyncio.gather(
            *(database.start() for database in databases), return_exceptions=True
        )
    finally:
        for database in databases:
            await database.close()
    return [repr(outcome) for outcome in outcomes if isinstance(outcome, BaseException)]


@pytest.mark.usefixtures("postgres_reachable")
async def test_sandboxes_starting_together_on_a_fresh_postgres_database_all_start() -> None:
    errors: list[str] = []
    for _ in range(FRESH_DATABASES):
        async with temporary_database_in_loop() as database_url:
            errors += await _start_together(database_url)

    assert errors == []
