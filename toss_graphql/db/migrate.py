"""Applying and checking Alembic migrations from code (the CLI and start-up use these)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

SCRIPT_LOCATION = "toss_graphql.db:migrations"
# The PostgreSQL advisory lock migrations are applied under: any constant no other lock of
# this database uses ("tossmigr" in ASCII, a bigint).
MIGRATION_LOCK_KEY = 0x746F_7373_6D69_6772


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(_config()).get_heads())


async def upgrade_to_head(engine: AsyncEngine) -> None:
    await upgrade_to(engine, "head")


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    # One transaction: on SQLite BEGIN IMMEDIATE makes processes starting together migrate
    # one after the other, the second finding nothing left to do. PostgreSQL has no such
    # lock: two `migrate` on a fresh database would both create alembic_version, and one
    # fail. A transaction-scoped advisory lock queues them the same way; the second reads
    # what the first committed (READ COMMITTED) and finds nothing left to do.
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        await connection.run_sync(lambda sync: command.upgrade(_config(sync), revision))


def revisions_in_order() -> list[str]:
    """Every migration, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        heads = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_heads()
        )
    return set(heads)


async def is_at_head(engine: AsyncEngine) -> bool:
    return await current_revisions(engine) == head_revisions()
