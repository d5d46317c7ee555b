"""In-memory stand-ins for the domain's ports, for unit tests of the rules alone."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from toss_graphql.domain.models import (
    Cancel,
    CancelRequest,
    CancelRequestStatus,
    Failure,
    InboxStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentEventType,
    Product,
    Webhook,
)
from toss_graphql.domain.ports.gateway import (
    Checkout,
    GatewayError,
    GatewayRejected,
    RefundAccount,
    TossCancel,
    TossCancelStatus,
    TossPayment,
    TossPaymentStatus,
)
from toss_graphql.domain.ports.storage import CancelCursor, CancelPage, OrderCursor, OrderPage
from toss_graphql.domain.services import Services
from toss_graphql.domain.state_machine import OrderEvent, edge


@dataclasses.dataclass
class MemoryStore:
    products: dict[str, Product] = dataclasses.field(default_factory=dict)
    orders: dict[str, Order] = dataclasses.field(default_factory=dict)
    lines: dict[str, list[OrderLine]] = dataclasses.field(default_factory=dict)
    payments: dict[str, Payment] = dataclasses.field(default_factory=dict)
    events: list[PaymentEvent] = dataclasses.field(default_factory=list)
    cancels: dict[str, Cancel] = dataclasses.field(default_factory=dict)
    cancel_requests: dict[str, CancelRequest] = dataclasses.field(default_factory=dict)
    order_locks: dict[str, tuple[str, datetime]] = dataclasses.field(default_factory=dict)
    webhooks: dict[str, tuple[Webhook, InboxStatus]] = dataclasses.field(default_factory=dict)

    def event_types(self, order_id: str) -> list[PaymentEventType]:
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

    async def get_with_payment(self, order_id: str) -> tuple[Order, Payment | None] | None:
        order = self._store.orders.get(order_id)
        return None if order is None else (order, self._store.payments.get(order_id))

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
        # The same table as the database's: the fake refuses what the table does not list.
        move = edge(event)
        order = self._store.orders.get(order_id)
        if order is None or order.status not in move.sources:
            return False
        if expected_status is not None and order.status is not expected_status:
            return False
        if expected_payment_key is not None and order.payment_key != expected_payment_key:
            return False
        self._store.orders[order_id] = dataclasses.replace(
            order,
            status=move.target,
            updated_at=now,
            failure=failure,
            payment_key=payment_key if payment_key is not None else order.payment_key,
        )
        return True

    async def find_by_name(self, buyer: str, order_name: str) -> Sequence[Order]:
        return [
            order
            for order in self._store.orders.values()
            if order.buyer == buyer and order.order_name == order_name
        ]

    async def claim_lock(
        self, order_id: str, *, token: str, now: datetime, stale_before: datetime
    ) -> bool:
        held = self._store.order_locks.get(order_id)
        if held is not None and held[0] != token and held[1] >= stale_before:
            return False
        self._store.order_locks[order_id] = (token, now)
        return True

    async def renew_lock(self, order_id: str, *, token: str, now: datetime) -> bool:
        held = self._store.order_locks.get(order_id)
        if held is None or held[0] != token:
            return False
        self._store.order_locks[order_id] = (token, now)
        return True

    async def needing_settlement(self, *, changed_before: datetime, limit: int) -> Sequence[str]:
        open_states = (OrderStatus.CONFIRMING, OrderStatus.WAITING_FOR_DEPOSIT)
        pending = {
            r.order_id
            for r in self._store.cancel_requests.values()
            if r.status is CancelRequestStatus.PENDING and r.updated_at < changed_before
        }
        found = [
            order
            for order in self._store.orders.values()
            if order.attention is None
            and (
                (order.status in open_states and order.updated_at < changed_before)
                or order.order_id in pending
            )
        ]
        found.sort(
            key=lambda order: (order.status is OrderStatus.WAITING_FOR_DEPOSIT, order.updated_at)
        )
        return [order.order_id for order in found[:limit]]

    async def flag_attention(self, order_id: str, *, reason: str, now: datetime) -> None:
        order = self._store.orders[order_id]
        self._store.orders[order_id] = dataclasses.replace(order, attention=reason, updated_at=now)

    async def release_lock(self, order_id: str, *, token: str) -> None:
        held = self._store.order_locks.get(order_id)
        if held is not None and held[0] == token:
            del self._store.order_locks[order_id]


class _Payments:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get_many_by_order_id(self, order_ids: Sequence[str]) -> dict[str, Payment]:
        return {i: self._store.payments[i] for i in order_ids if i in self._store.payments}

    async def save(self, payment: Payment, now: datetime) -> None:
        self._store.payments[payment.order_id] = payment

    async def remove(self, payment_key: str) -> None:
        self._store.payments = {
            order_id: payment
            for order_id, payment in self._store.payments.items()
            if payment.payment_key != payment_key
        }


class _Cancels:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, cancel: Cancel, now: datetime) -> None:
        assert cancel.transaction_key not in self._store.cancels, "transaction keys are unique"
        self._store.cancels[cancel.transaction_key] = cancel

    async def transaction_keys(self, order_id: str) -> set[str]:
        return {c.transaction_key for c in self._store.cancels.values() if c.order_id == order_id}

    async def last_canceled_at(self, order_id: str) -> datetime | None:
        times = [c.canceled_at for c in self._store.cancels.values() if c.order_id == order_id]
        return max(times, default=None)

    async def get(self, transaction_key: str) -> Cancel | None:
        return self._store.cancels.get(transaction_key)


class _CancelRequests:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, request: CancelRequest) -> bool:
        if request.client_key is not None and any(
            (r.buyer, r.client_key) == (request.buyer, request.client_key)
            for r in self._store.cancel_requests.values()
        ):
            return False
        self._store.cancel_requests[request.request_id] = request
        return True

    async def get(self, request_id: str) -> CancelRequest | None:
        return self._store.cancel_requests.get(request_id)

    async def get_by_client_key(self, buyer: str, client_key: str) -> CancelRequest | None:
        return next(
            (
                r
                for r in self._store.cancel_requests.values()
                if (r.buyer, r.client_key) == (buyer, client_key)
            ),
            None,
        )

    async def pending_for_order(self, order_id: str) -> list[CancelRequest]:
        return [
            r
            for r in self._store.cancel_requests.values()
            if r.order_id == order_id and r.status is CancelRequestStatus.PENDING
        ]

    async def save(self, request: CancelRequest) -> None:
        self._store.cancel_requests[request.request_id] = request

    async def touch(self, request_id: str, now: datetime) -> bool:
        request = self._store.cancel_requests.get(request_id)
        if request is None or request.status is not CancelRequestStatus.PENDING:
            return False
        self._store.cancel_requests[request_id] = dataclasses.replace(request, updated_at=now)
        return True

    async def fail_if_abandoned(self, failed: CancelRequest, *, stale_before: datetime) -> bool:
        request = self._store.cancel_requests.get(failed.request_id)
        if (
            request is None
            or request.status is not CancelRequestStatus.PENDING
            or request.sent_at is not None
            or request.updated_at >= stale_before
        ):
            return False
        self._store.cancel_requests[failed.request_id] = failed
        return True


class _Events:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def append(self, event: PaymentEvent) -> None:
        self._store.events.append(event)


class _Webhooks:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, webhook: Webhook) -> bool:
        if webhook.transmission_id in self._store.webhooks:
            return False
        self._store.webhooks[webhook.transmission_id] = (webhook, InboxStatus.RECEIVED)
        return True

    async def unprocessed(self, limit: int) -> Sequence[Webhook]:
        waiting = InboxStatus.RECEIVED
        return [w for w, status in self._store.webhooks.values() if status is waiting][:limit]

    async def finish(
        self, transmission_id: str, *, status: InboxStatus, outcome: str, now: datetime
    ) -> None:
        webhook, _ = self._store.webhooks[transmission_id]
        self._store.webhooks[transmission_id] = (dataclasses.replace(webhook, secret=None), status)


class MemoryReads:
    """The read path over the store's committed state, as the database's sees only commits."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def order(self, order_id: str) -> Order | None:
        return self._store.orders.get(order_id)

    async def order_with_payment(self, order_id: str) -> tuple[Order, Payment | None] | None:
        order = self._store.orders.get(order_id)
        return None if order is None else (order, self._store.payments.get(order_id))

    async def orders(
        self,
        *,
        buyer: str | None,
        status: OrderStatus | None,
        first: int,
        after: OrderCursor | None,
        needs_attention: bool = False,
    ) -> OrderPage:
        found = sorted(
            (
                order
                for order in self._store.orders.values()
                if (buyer is None or order.buyer == buyer)
                and (not needs_attention or order.attention is not None)
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

    async def payments(self, order_ids: Sequence[str]) -> dict[str, Payment]:
        return {i: self._store.payments[i] for i in order_ids if i in self._store.payments}

    async def cancels(self, order_ids: Sequence[str]) -> dict[str, list[Cancel]]:
        return {
            order_id: sorted(
                (c for c in self._store.cancels.values() if c.order_id == order_id),
                key=lambda c: (c.canceled_at, c.transaction_key),
            )
            for order_id in order_ids
        }

    async def cancel_page(
        self, *, buyer: str | None, order_id: str | None, first: int, after: CancelCursor | None
    ) -> CancelPage:
        found = sorted(
            (
                c
                for c in self._store.cancels.values()
                if (buyer is None or c.buyer == buyer)
                and (order_id is None or c.order_id == order_id)
                and (
                    after is None
                    or (c.canceled_at, c.transaction_key)
                    < (after.canceled_at, after.transaction_key)
                )
            ),
            key=lambda c: (c.canceled_at, c.transaction_key),
            reverse=True,
        )
        return CancelPage(cancels=found[:first], has_next_page=len(found) > first)


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
            cancels=dict(self._committed.cancels),
            cancel_requests=dict(self._committed.cancel_requests),
            order_locks=dict(self._committed.order_locks),
            webhooks=dict(self._committed.webhooks),
        )
        self.products = _Products(self._working)
        self.orders = _Orders(self._working)
        self.payments = _Payments(self._working)
        self.events = _Events(self._working)
        self.cancels = _Cancels(self._working)
        self.cancel_requests = _CancelRequests(self._working)
        self.webhooks = _Webhooks(self._working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            for name in (
                "products",
                "orders",
                "lines",
                "payments",
                "events",
                "cancels",
                "cancel_requests",
                "order_locks",
                "webhooks",
            ):
                setattr(self._committed, name, getattr(self._working, name))


class FakeGateway:
    """A small Toss: approves confirms (or answers as told), applies cancels to what it
    approved with Toss's balance rules and idempotency replay, and records every call."""

    def __init__(self, clock: StepClock | None = None) -> None:
        self.confirm_calls: list[tuple[str, str, int]] = []
        self.cancel_calls: list[tuple[str, int | None, str]] = []
        self.get_calls: list[str] = []
        # Each call's name and the key set it was made with, in order.
        self.checkouts: list[tuple[str, Checkout]] = []
        # The refund account each cancel named, in order.
        self.refund_accounts: list[RefundAccount | None] = []
        self.confirm_outcome: TossPayment | GatewayError | None = None
        self.cancel_failures: list[GatewayError] = []
        self.stored: dict[str, TossPayment | GatewayError] = {}
        self._answers: dict[str, TossPayment] = {}
        self._clock = clock or StepClock()

    async def confirm(
        self, *, payment_key: str, order_id: str, amount: int, checkout: Checkout
    ) -> TossPayment:
        self.confirm_calls.append((payment_key, order_id, amount))
        self.checkouts.append(("confirm", checkout))
        outcome = self.confirm_outcome or approved(payment_key, order_id, amount)
        if isinstance(outcome, GatewayError):
            raise outcome
        self.stored.setdefault(payment_key, outcome)
        return outcome

    async def cancel(
        self,
        *,
        payment_key: str,
        cancel_reason: str,
        cancel_amount: int | None,
        refundable_amount: int | None,
        idempotency_key: str,
        checkout: Checkout,
        refund_account: RefundAccount | None = None,
    ) -> TossPayment:
        self.cancel_calls.append((payment_key, cancel_amount, idempotency_key))
        self.checkouts.append(("cancel", checkout))
        self.refund_accounts.append(refund_account)
        if idempotency_key in self._answers:
            return self._answers[idempotency_key]
        if self.cancel_failures:
            raise self.cancel_failures.pop(0)
        payment = self.stored[payment_key]
        assert isinstance(payment, TossPayment)
        if payment.balance_amount == 0:
            raise GatewayRejected("ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.", 400)
        if refundable_amount is not None and refundable_amount != payment.balance_amount:
            raise GatewayRejected(
                "NOT_MATCHES_REFUNDABLE_AMOUNT", "잔액 결과가 일치하지 않습니다.", 400
            )
        amount = payment.balance_amount if cancel_amount is None else cancel_amount
        if amount > payment.balance_amount:
            raise GatewayRejected("NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.", 403)
        balance = payment.balance_amount - amount
        entry = TossCancel(
            transaction_key=f"tx{len(self.cancel_calls):04d}",
            cancel_amount=amount,
            cancel_reason=cancel_reason,
            canceled_at=self._clock(),
            refundable_amount=balance,
            cancel_status=TossCancelStatus.DONE,
        )
        updated = dataclasses.replace(
            payment,
            status=(
                TossPaymentStatus.CANCELED if balance == 0 else TossPaymentStatus.PARTIAL_CANCELED
            ),
            balance_amount=balance,
            cancels=(*payment.cancels, entry),
            last_transaction_key=entry.transaction_key,
        )
        self.stored[payment_key] = updated
        self._answers[idempotency_key] = updated
        return updated

    async def get_payment(self, payment_key: str, *, checkout: Checkout) -> TossPayment:
        self.get_calls.append(payment_key)
        self.checkouts.append(("get_payment", checkout))
        outcome = self.stored.get(payment_key) or GatewayRejected(
            "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.", 404
        )
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome

    async def get_payment_by_order_id(self, order_id: str, *, checkout: Checkout) -> TossPayment:
        self.checkouts.append(("get_payment_by_order_id", checkout))
        for outcome in self.stored.values():
            if isinstance(outcome, TossPayment) and outcome.order_id == order_id:
                return outcome
        raise GatewayRejected("NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.", 404)


def approved(
    payment_key: str,
    order_id: str,
    amount: int,
    status: TossPaymentStatus = TossPaymentStatus.DONE,
) -> TossPayment:
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
        raw={"paymentKey": payment_key, "orderId": order_id, "status": status.value},
    )


class StepClock:
    """A clock that moves one second each time it is read, so orderings are deterministic."""

    def __init__(self) -> None:
        self._now = datetime(2026, 11, 22, tzinfo=UTC)

    def __call__(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


async def no_sleep(_: float) -> None:
    """Sleeps take no time in unit tests; the step clock moves on its own."""


def memory_services(store: MemoryStore, gateway: FakeGateway) -> Services:
    counter = itertools.count(1)
    return Services(
        unit_of_work=lambda: MemoryUnitOfWork(store),
        reads=MemoryReads(store),
        gateway=gateway,
        clock=StepClock(),
        new_order_id=lambda: f"order-{next(counter):04d}",
        sleep=no_sleep,
    )
