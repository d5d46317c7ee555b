"""What the domain needs from persistence, the clock and id generation.

`toss_graphql.db` implements these over SQLAlchemy; unit tests implement them in memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from ..models import (
    Cancel,
    CancelRequest,
    Failure,
    InboxStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentEvent,
    Product,
    Webhook,
)
from ..state_machine import OrderEvent


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: Sequence[Order]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class OrderCursor:
    """Keyset position: orders are listed newest first, ties broken by order id."""

    created_at: datetime
    order_id: str


@dataclass(frozen=True, slots=True)
class CancelPage:
    cancels: Sequence[Cancel]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class CancelCursor:
    """Keyset position: cancels are listed newest first, ties broken by transaction key."""

    canceled_at: datetime
    transaction_key: str


class ProductRepository(Protocol):
    async def get_many(self, skus: Sequence[str]) -> dict[str, Product]: ...

    async def upsert(self, product: Product) -> None: ...


class OrderRepository(Protocol):
    async def add(self, order: Order, lines: Sequence[OrderLine]) -> None: ...

    async def get(self, order_id: str) -> Order | None: ...

    async def get_with_payment(self, order_id: str) -> tuple[Order, Payment | None] | None:
        """The order and its payment in force, read together."""
        ...

    async def transition(
        self,
        order_id: str,
        event: OrderEvent,
        *,
        now: datetime,
        expected_payment_key: str | None = None,
        expected_status: OrderStatus | None = None,
        payment_key: str | None = None,
        failure: Failure | None = None,
    ) -> bool:
        """Move the order along `event`'s edge of the state machine: to its target, if the
        order's status is one of its sources (and, when given, is `expected_status` and its
        bound payment key equals `expected_payment_key`), as one conditional UPDATE.

        Returns whether this call made the change: of any number of concurrent callers,
        across processes, at most one sees True for a given source state.
        `payment_key`, when given, binds that key; `failure` is stored, or cleared when None.
        """
        ...

    async def needing_settlement(self, *, changed_before: datetime, limit: int) -> Sequence[str]:
        """Orders whose outcome at Toss is still open here (a confirm, a deposit, a cancel
        request), unchanged since `changed_before`, not flagged for an operator."""
        ...

    async def flag_attention(self, order_id: str, *, reason: str, now: datetime) -> None: ...

    async def find_by_name(self, buyer: str, order_name: str) -> Sequence[Order]: ...

    async def claim_lock(
        self, order_id: str, *, token: str, now: datetime, stale_before: datetime
    ) -> bool:
        """Take the order's lock if it is free, already held with `token` (renewing it), or
        held since before `stale_before` (its holder died). One conditional UPDATE, so one
        caller wins across processes."""
        ...

    async def renew_lock(self, order_id: str, *, token: str, now: datetime) -> bool:
        """Re-stamp the order's lock only if it is still held with `token`, even past its
        lease: False once another holder took it since, or released it after taking it."""
        ...

    async def release_lock(self, order_id: str, *, token: str) -> None: ...


class OrderChangeSignal(Protocol):
    async def wait(self) -> None:
        """Return once the order may have changed since the last return, or since watching
        began: it may return for a change already seen, never miss one."""
        ...


class OrderChanges(Protocol):
    """Where committed changes of orders are announced (docs/realtime.md)."""

    def watch(self, order_id: str) -> AbstractContextManager[OrderChangeSignal]: ...


class OrderReads(Protocol):
    """What a client polls, read outside any transaction: each answer is one statement, so it
    is consistent by itself, and it sees every state change committed before it began."""

    async def order(self, order_id: str) -> Order | None: ...

    async def order_with_payment(self, order_id: str) -> tuple[Order, Payment | None] | None:
        """The order and its payment in force, read together."""
        ...

    async def orders(
        self,
        *,
        buyer: str | None,
        status: OrderStatus | None,
        first: int,
        after: OrderCursor | None,
        needs_attention: bool = False,
    ) -> OrderPage:
        """Newest first; `buyer` None lists every buyer's."""
        ...

    async def payments(self, order_ids: Sequence[str]) -> dict[str, Payment]:
        """The payments in force of these orders, by order id."""
        ...

    async def cancels(self, order_ids: Sequence[str]) -> dict[str, list[Cancel]]:
        """The cancels of these orders, oldest first, by order id (an order with none: [])."""
        ...

    async def cancel_page(
        self, *, buyer: str | None, order_id: str | None, first: int, after: CancelCursor | None
    ) -> CancelPage:
        """Newest first; `buyer` None lists every buyer's."""
        ...


class PaymentRepository(Protocol):
    async def get_many_by_order_id(self, order_ids: Sequence[str]) -> dict[str, Payment]: ...

    async def save(self, payment: Payment, now: datetime) -> None:
        """Insert the payment, or bring its row up to date."""
        ...

    async def remove(self, payment_key: str) -> None: ...


class CancelRepository(Protocol):
    async def add(self, cancel: Cancel, now: datetime) -> None: ...

    async def transaction_keys(self, order_id: str) -> set[str]: ...

    async def last_canceled_at(self, order_id: str) -> datetime | None: ...

    async def get(self, transaction_key: str) -> Cancel | None: ...


class CancelRequestRepository(Protocol):
    async def add(self, request: CancelRequest) -> bool:
        """False, writing nothing, when the buyer already used this client key."""
        ...

    async def get(self, request_id: str) -> CancelRequest | None: ...

    async def get_by_client_key(self, buyer: str, client_key: str) -> CancelRequest | None: ...

    async def pending_for_order(self, order_id: str) -> list[CancelRequest]: ...

    async def save(self, request: CancelRequest) -> None: ...

    async def touch(self, request_id: str, now: datetime) -> bool:
        """A sign of life from the caller still waiting to carry the request out: its
        `updated_at` becomes `now` while it is pending. False when it is pending no more."""
        ...

    async def fail_if_abandoned(self, failed: CancelRequest, *, stale_before: datetime) -> bool:
        """Store `failed` over the request only while it is pending, was never sent, and has
        shown no sign of life since `stale_before`: whether it was stored."""
        ...


class PaymentEventRepository(Protocol):
    async def append(self, event: PaymentEvent) -> None: ...


class WebhookInbox(Protocol):
    async def add(self, webhook: Webhook) -> bool:
        """False, writing nothing, for a transmission id already stored."""
        ...

    async def unprocessed(self, limit: int) -> Sequence[Webhook]: ...

    async def finish(
        self, transmission_id: str, *, status: InboxStatus, outcome: str, now: datetime
    ) -> None:
        """Record how it ended, and forget its secret."""
        ...


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

    @property
    def cancels(self) -> CancelRepository: ...

    @property
    def cancel_requests(self) -> CancelRequestRepository: ...

    @property
    def webhooks(self) -> WebhookInbox: ...

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
Sleep = Callable[[float], Awaitable[None]]
