"""The one owner of a transaction: a session begun on entry, committed on a clean exit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .cancel_repositories import SqlCancelRepository, SqlCancelRequestRepository
from .repositories import (
    SqlOrderRepository,
    SqlPaymentEventRepository,
    SqlPaymentRepository,
    SqlProductRepository,
)
from .webhook_inbox import SqlWebhookInbox


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._sessions()
        await session.begin()
        self._session = session
        self.products = SqlProductRepository(session)
        self.orders = SqlOrderRepository(session)
        self.payments = SqlPaymentRepository(session)
        self.events = SqlPaymentEventRepository(session)
        self.cancels = SqlCancelRepository(session)
        self.cancel_requests = SqlCancelRequestRepository(session)
        self.webhooks = SqlWebhookInbox(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._session
        assert session is not None, "unit of work used outside 'async with'"
        self._session = None
        try:
            if exc_type is None:
                await session.commit()
            else:
                await session.rollback()
        finally:
            await session.close()


class UnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)
