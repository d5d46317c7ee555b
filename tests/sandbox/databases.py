"""The databases the sandbox's tests run on: a SQLite file per test, or one PostgreSQL
database per test session, its sandbox tables emptied before each test (making a database
per test would cost PostgreSQL half a second each)."""

from __future__ import annotations

import asyncpg

from toss_sandbox.storage.tables import metadata, sandbox_state


async def empty_sandbox_tables(database_url: str) -> None:
    """Remove every payment, log entry, fault and delivery, and put the sandbox's state row
    (clock offset, webhook URL) back as a new database has it."""
    plain_url = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(plain_url, timeout=5)
    try:
        existing = {
            row["tablename"]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
        # The state row stays: it carries the schema version the next start checks.
        names = [
            table.name
            for table in metadata.sorted_tables
            if table.name in existing and table is not sandbox_state
        ]
        if names:
            await connection.execute(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
        if sandbox_state.name in existing:
            await connection.execute(
                "UPDATE sandbox_state "
                "SET clock_offset_us = 0, webhook_url_set = false, webhook_url = NULL"
            )
    finally:
        await connection.close()
