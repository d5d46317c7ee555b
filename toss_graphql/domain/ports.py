"""What the domain needs from persistence, the clock and id generation.

`toss_graphql.db` implements these over SQLAlchemy; unit tests implement them in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from .models import Failure, Order, OrderLine, OrderStatus, Payment, PaymentEvent, Product


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: Sequence[Order]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class OrderCursor:
    """Keyset position: orders are listed newest first, ties broken by order id."""

    created_at: datetime
    order_id: str


class ProductRepository(Protocol):
    async def get_many(self, skus: Sequence[str]) -> dict[str, Product]: ...

    async def upsert(self, product: Product) -> None: ...


class OrderRepository(Protocol):
    async def add(self, order: Order, lines: Sequence[OrderLine]) -> None: ...

    async def get(self, order_id: str) -> Order | None: ...

    async def transition(
        self,
        order_id: str,
        *,
        sources: frozenset[OrderStatus],
        target: OrderStatus,
        now: datetime,
        expected_payment_key: str | None = None,
        payment_key: str | None = None,
        failure: Failure | None = None,
    ) -> bool:
        """Move the order to `target` if its status is one of `sources` (and, when given,
        its bound payment key equals `expected_payment_key`), as one conditional UPDATE.

        Returns whether this call made the change: of any number of concurrent callers,
        across processes, at most one sees True for a given source state.
        `payment_key`, when given, binds that key; `failure` is stored, or cleared when None.
        """
        ...

    async def list(
        self,
        *,
        buyer: str | None,
        status: OrderStatus | None,
        first: int,
        after: OrderCursor | None,
    ) -> OrderPage: ...


class PaymentRepository(Protocol):
    async def add(self, payment: Payment, now: datetime) -> None: ...

    async def get_many_by_order_id(self, order_ids: Sequence[str]) -> dict[str, Payment]: ...


class PaymentEventRepository(Protocol):
    async def append(self, event: PaymentEvent) -> None: ...

    async def list_for_order(self, order_id: str) -> Sequence[PaymentEvent]: ...


class UnitOfWork(Protocol):
    """One database transaction: committed when the block ends normally, rolled back otherwise."""

    @property
    def products(self) -> ProductRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def payments(self) -> PaymentRepository: ...

    @property
    def events(self) -> PaymentEventRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]
IdGenerator = Callable[[], str]
