"""The one owner of a transaction: a connection begun on entry, committed on a clean exit.

A plain Core connection, not an ORM connection: the repositories run Core statements, and a
connection would put each one through the ORM's execution path for nothing.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .. import telemetry
from .cancel_repositories import SqlCancelRepository, SqlCancelRequestRepository
from .repositories import (
    SqlOrderRepository,
    SqlPaymentEventRepository,
    SqlPaymentRepository,
    SqlProductRepository,
)
from .webhook_inbox import SqlWebhookInbox


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._span = telemetry.span(
            "db.transaction", attributes={"db.system.name": engine.dialect.name}
        )

    async def __aenter__(self) -> Self:
        # The transaction's span is the parent of its statements' (SQLAlchemy's
        # instrumentation); entered and left in the caller's task, like the connection.
        self._active_span = self._span.__enter__()
        try:
            connection = await self._engine.connect().start()
            try:
                await connection.begin()
            except BaseException:
                await connection.close()
                raise
        except BaseException as error:
            self._span.__exit__(type(error), error, error.__traceback__)
            raise
        self._connection = connection
        self.products = SqlProductRepository(connection)
        self.orders = SqlOrderRepository(connection)
        self.payments = SqlPaymentRepository(connection)
        self.events = SqlPaymentEventRepository(connection)
        self.cancels = SqlCancelRepository(connection)
        self.cancel_requests = SqlCancelRequestRepository(connection)
        self.webhooks = SqlWebhookInbox(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._connection
        assert connection is not None, "unit of work used outside 'async with'"
        self._connection = None
        try:
            if exc_type is None:
                await connection.commit()
            else:
                await connection.rollback()
        except BaseException as error:
            self._end_span("failed", error)
            raise
        finally:
            await connection.close()
        self._end_span("commit" if exc is None else "rollback", exc)

    def _end_span(self, outcome: str, error: BaseException | None) -> None:
        if self._active_span is not None:
            self._active_span.set_attribute("db.transaction.outcome", outcome)
        if error is None:
            self._span.__exit__(None, None, None)
        else:
            self._span.__exit__(type(error), error, error.__traceback__)


class UnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)
