"""In-memory stand-ins for the domain's ports, for unit tests of the rules alone."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from toss_graphql.domain.gateway_port import (
    GatewayError,
    TossPayment,
)
from toss_graphql.domain.models import (
    Failure,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentEvent,
    Product,
)
from toss_graphql.domain.ports import OrderCursor, OrderPage
from toss_graphql.domain.services import Services


@dataclasses.dataclass
class MemoryStore:
    products: dict[str, Product] = dataclasses.field(default_factory=dict)
    orders: dict[str, Order] = dataclasses.field(default_factory=dict)
    lines: dict[str, list[OrderLine]] = dataclasses.field(default_factory=dict)
    payments: dict[str, Payment] = dataclasses.field(default_factory=dict)
    events: list[PaymentEvent] = dataclasses.field(default_factory=list)

    def event_types(self, order_id: str) -> list[str]:
        return [event.event_type for event in self.events if event.order_id == order_id]


class _Products:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get_many(self, skus: Sequence[str]) -> dict[str, Product]:
        return {sku: self._store.products[sku] for sku in skus if sku in self._store.products}

    async def upsert(self, product: Product) -> None:
        self._store.products[product.sku] = product


class _Orders:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, order: Order, lines: Sequence[OrderLine]) -> None:
        self._store.orders[order.order_id] = order
        self._store.lines[order.order_id] = list(lines)

    async def get(self, order_id: str) -> Order | None:
        return self._store.orders.get(order_id)

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
        order = self._store.orders.get(order_id)
        if order is None or order.status not in sources:
            return False
        if expected_payment_key is not None and order.payment_key != expected_payment_key:
            return False
        self._store.orders[order_id] = dataclasses.replace(
            order,
            status=target,
            updated_at=now,
            failure=failure,
            payment_key=payment_key if payment_key is not None else order.payment_key,
        )
        return True

    async def list(
        self,
        *,
        buyer: str | None,
        status: OrderStatus | None,
        first: int,
        after: OrderCursor | None,
    ) -> OrderPage:
        found = sorted(
            (
                order
                for order in self._store.orders.values()
                if (buyer is None or order.buyer == buyer)
                and (status is None or order.status is status)
                and (
                    after is None
                    or (order.created_at, order.order_id) < (after.created_at, after.order_id)
                )
            ),
            key=lambda order: (order.created_at, order.order_id),
            reverse=True,
        )
        return OrderPage(orders=found[:first], has_next_page=len(found) > first)


class _Payments:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, payment: Payment, now: datetime) -> None:
        assert payment.order_id not in self._store.payments, "one payment per order"
        self._store.payments[payment.order_id] = payment

    async def get_many_by_order_id(self, order_ids: Sequence[str]) -> dict[str, Payment]:
        return {i: self._store.payments[i] for i in order_ids if i in self._store.payments}


class _Events:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def append(self, event: PaymentEvent) -> None:
        self._store.events.append(event)

    async def list_for_order(self, order_id: str) -> Sequence[PaymentEvent]:
        return [event for event in self._store.events if event.order_id == order_id]


class MemoryUnitOfWork:
    """Applies its writes to the store only when the block ends without an exception."""

    def __init__(self, store: MemoryStore) -> None:
        self._committed = store

    async def __aenter__(self) -> Self:
        self._working = dataclasses.replace(
            self._committed,
            products=dict(self._committed.products),
            orders=dict(self._committed.orders),
            lines=dict(self._committed.lines),
            payments=dict(self._committed.payments),
            events=list(self._committed.events),
        )
        self.products = _Products(self._working)
        self.orders = _Orders(self._working)
        self.payments = _Payments(self._working)
        self.events = _Events(self._working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            for name in ("products", "orders", "lines", "payments", "events"):
                setattr(self._committed, name, getattr(self._working, name))


class FakeGateway:
    """Answers confirms as told: a payment, or an error to raise; records every call."""

    def __init__(self) -> None:
        self.confirm_calls: list[tuple[str, str, int]] = []
        self.get_calls: list[str] = []
        self.confirm_outcome: TossPayment | GatewayError | None = None
        self.stored: dict[str, TossPayment | GatewayError] = {}

    async def confirm(self, *, payment_key: str, order_id: str, amount: int) -> TossPayment:
        self.confirm_calls.append((payment_key, order_id, amount))
        outcome = self.confirm_outcome or approved(payment_key, order_id, amount)
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome

    async def get_payment(self, payment_key: str) -> TossPayment:
        self.get_calls.append(payment_key)
        outcome = self.stored[payment_key]
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome

    async def get_payment_by_order_id(self, order_id: str) -> TossPayment:
        raise NotImplementedError("not used by these tests")


def approved(payment_key: str, order_id: str, amount: int, status: str = "DONE") -> TossPayment:
    return TossPayment(
        payment_key=payment_key,
        order_id=order_id,
        order_name="test order",
        status=status,
        method="카드",
        total_amount=amount,
        balance_amount=amount,
        approved_at=datetime(2026, 11, 22, 1, 0, tzinfo=UTC),
        receipt_url="https://example.test/receipt",
        raw={"paymentKey": payment_key, "orderId": order_id, "status": status},
    )


class StepClock:
    """A clock that moves one second each time it is read, so orderings are deterministic."""

    def __init__(self) -> None:
        self._now = datetime(2026, 11, 22, tzinfo=UTC)

    def __call__(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


def memory_services(store: MemoryStore, gateway: FakeGateway) -> Services:
    counter = itertools.count(1)
    return Services(
        unit_of_work=lambda: MemoryUnitOfWork(store),
        gateway=gateway,
        clock=StepClock(),
        new_order_id=lambda: f"order-{next(counter):04d}",
    )
