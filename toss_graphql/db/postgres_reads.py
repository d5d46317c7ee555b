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

from ..domain.models import Order, OrderStatus, Payment
from ..domain.ports.storage import OrderCursor, OrderPage
from .read_rows import POSTGRESQL, ReadStatements


class PostgresOrderReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._statements = ReadStatements.for_dialect(POSTGRESQL)
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

    async def order(self, order_id: str) -> Order | None:
        rows = await self._fetch(self._statements.order, (order_id,))
        return self._statements.order_from(rows[0]) if rows else None

    async def order_with_payment(self, order_id: str) -> tuple[Order, Payment | None] | None:
        rows = await self._fetch(self._statements.order_with_payment, (order_id,))
        return self._statements.order_and_payment_from(rows[0]) if rows else None

    async def orders(
        self,
        *,
        buyer: str | None,
        status: OrderStatus | None,
        first: int,
        after: OrderCursor | None,
        needs_attention: bool = False,
    ) -> OrderPage:
        sql, values = self._statements.orders(
            buyer=buyer, status=status, first=first, after=after, needs_attention=needs_attention
        )
        return self._statements.page_from(await self._fetch(sql, values), first)

    async def payments(self, order_ids: Sequence[str]) -> dict[str, Payment]:
        if not order_ids:
            return {}
        rows = await self._fetch(self._statements.payments(len(order_ids)), order_ids)
        found = (self._statements.payment_from(row) for row in rows)
        return {payment.order_id: payment for payment in found if payment is not None}


def _is_disconnect(driver_connection: Any, error: Exception) -> bool:
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    return bool(driver_connection.is_closed()) or isinstance(error, OSError | ConnectionError)
