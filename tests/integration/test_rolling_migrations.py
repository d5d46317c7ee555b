"""`toss-graphql migrate` while the previous release still serves: every migration only
expands the schema, so the previous release's statements run on the migrated one. Checked on
real databases of both kinds, migration by migration: each table and column the release
before could use is still there, of the same type, as nullable as it was; and no column it
does not know of is required of its inserts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from tests.support.postgres import temporary_database_in_loop
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.migrate import revisions_in_order, upgrade_to

REVISIONS = revisions_in_order()
# (type, nullable, has a default) by column, by table.
Schema = dict[str, dict[str, tuple[str, bool, bool]]]


def _schema(connection: Connection) -> Schema:
    inspector = inspect(connection)
    return {
        table: {
            column["name"]: (
                str(column["type"]).split("(")[0].upper(),
                bool(column["nullable"]),
                column.get("default") is not None or bool(column.get("autoincrement")),
            )
            for column in inspector.get_columns(table)
        }
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


async def schema_at(url: str, revision: str) -> Schema:
    engine = create_database_engine(url)
    try:
        await upgrade_to(engine, revision)
        async with engine.connect() as connection:
            return await connection.run_sync(_schema)
    finally:
        await engine.dispose()


@pytest.fixture
def fresh_database(
    database_kind: str, tmp_path: Path
) -> Callable[[str], AbstractAsyncContextManager[str]]:
    """A new empty database of the kind, one per call."""

    @asynccontextmanager
    async def make(name: str) -> AsyncIterator[str]:
        if database_kind == "sqlite":
            yield f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
        else:
            async with temporary_database_in_loop() as url:
                yield url

    return make


@pytest.mark.parametrize(("before", "after"), list(pairwise(REVISIONS)), ids=REVISIONS[1:])
async def test_each_migration_only_expands_what_the_release_before_used(
    fresh_database: Callable[[str], AbstractAsyncContextManager[str]], before: str, after: str
) -> None:
    async with fresh_database("before") as old_url, fresh_database("after") as new_url:
        old, new = await schema_at(old_url, before), await schema_at(new_url, after)
    assert "orders" in old and "payments" in new, "the schemas were not read"
    problems: list[str] = []
    for table, columns in old.items():
        if table not in new:
            problems.append(f"table {table} dropped")
            continue
        for name, (kind, nullable, _) in columns.items():
            if name not in new[table]:
                problems.append(f"{table}.{name} dropped")
            elif new[table][name][0] != kind:
                problems.append(f"{table}.{name} changed from {kind} to {new[table][name][0]}")
            elif nullable and not new[table][name][1]:
                problems.append(f"{table}.{name} made NOT NULL")
        for name, (_, nullable, has_default) in new[table].items():
            if name not in columns and not nullable and not has_default:
                problems.append(f"{table}.{name} is new and required of every insert")
    assert problems == [], f"migration {after} is not expand-only"
