"""Statement shapes the repositories share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert_for(dialect: str) -> Any:
    """The INSERT construct that has ON CONFLICT on this database."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def insert_unless_present(
    connection: AsyncConnection, table: Table, values: dict[str, Any]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; whether a row was written.

    A duplicate must not abort the transaction, as an IntegrityError would on PostgreSQL.
    """
    insert = upsert_for(connection.dialect.name)
    result = await connection.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount == 1)
