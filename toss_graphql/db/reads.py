"""The read path for the engine's database (docs/architecture.md §5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.ports.storage import OrderReads
from .engine import is_sqlite
from .postgres_reads import PostgresOrderReads
from .sqlite_reads import SqliteOrderReads


@asynccontextmanager
async def order_reads(engine: AsyncEngine) -> AsyncIterator[OrderReads]:
    """Reads of the engine's database for the block; what they hold open is closed after."""
    url = engine.url
    if not is_sqlite(url.render_as_string(hide_password=True)):
        yield PostgresOrderReads(engine)
        return
    if not url.database or url.database == ":memory:":
        raise ValueError("the read path needs a SQLite file: an in-memory database is private")
    reads = SqliteOrderReads(url.database)
    try:
        yield reads
    finally:
        reads.close()
