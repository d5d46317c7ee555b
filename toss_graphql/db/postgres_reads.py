"""Order reads on PostgreSQL: one round trip each, outside any transaction.

A read borrows a connection from the engine's pool and runs its one statement on asyncpg
itself: no BEGIN or COMMIT (a single statement is its own snapshot), no pre-ping, and
asyncpg's cache of prepared statements, so a repeated read is one Bind/Execute exchange.
A connection found dead is dropped and the read, which changes nothing, is tried again on
another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from .read_rows import POSTGRESQL, StatementReads


class PostgresOrderReads(StatementReads):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        super().__init__(POSTGRESQL)
        pool = engine.sync_engine.pool
        self._idle_at_most = pool.size() if isinstance(pool, QueuePool) else 1

    async def _fetch(self, sql: str, values: Sequence[Any]) -> list[Any]:
        # After a restart every idle connection in the pool is dead: each fails at once and
        # is dropped, so at most the pool's size of them stand between a read and a new one.
        attempts = self._idle_at_most + 1
        for attempt in range(1, attempts + 1):
            async with self._engine.connect() as connection:
                driver = (await connection.get_raw_connection()).driver_connection
                assert driver is not None, "a pooled connection has its driver's connection"
                try:
                    return list(await driver.fetch(sql, *values))
                except Exception as error:
                    if attempt == attempts or not _is_disconnect(driver, error):
                        raise
                    await connection.invalidate()
        raise AssertionError("unreachable")


def _is_disconnect(driver_connection: Any, error: Exception) -> bool:
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    return bool(driver_connection.is_closed()) or isinstance(error, OSError)
