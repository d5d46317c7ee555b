"""A holder of an order's lock whose lease lapses during a call to Toss (a call waiting for a
pooled connection, a paused process) and whose lock another holder then takes writes nothing
of what it read (docs/architecture.md §3.2), on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.integration.audit_log import audit_log
from tests.integration.money.support import ADMIN, ALICE, LEASE, ManualClock
from tests.support.fakes import FakeGateway, approved
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import (
    Order,
    OrderStatus,
    PaymentEventType,
    Webhook,
    WebhookEventType,
)
from toss_graphql.domain.orders import CreateOrderRequest, create_order
from toss_graphql.domain.ports.gateway import Checkout, GatewayTechnicalError, TossPayment
from toss_graphql.domain.reconcile import ReconcilePolicy, settle_unknown_outcomes
from toss_graphql.domain.services import Services
from toss_graphql.domain.webhooks import process_received_webhooks, receive_webhook

KEY = "tgen_reply_lost"
NOW = ReconcilePolicy(min_age=timedelta(0))
HANG = 60
SETTLED = frozenset({PaymentEventType.SETTLED_FROM_TOSS, PaymentEventType.TOSS_RECORD_READ})


class StalledRead(FakeGateway):
    """Toss whose first read of a payment hangs until the test lets it answer."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = asyncio.Event()
        self.answer = asyncio.Event()
        self._stall_next = True

    async def _stall(self) -> None:
        if self._stall_next:
            self._stall_next = False
            self.stalled.set()
            await self.answer.wait()

    async def get_payment(self, payment_key: str, *, checkout: Checkout) -> TossPayment:
        await self._stall()
        return await super().get_payment(payment_key, checkout=checkout)

    async def get_payment_by_order_id(self, order_id: str, *, checkout: Checkout) -> TossPayment:
        await self._stall()
        return await super().get_payment_by_order_id(order_id, checkout=checkout)


@pytest.fixture
def gateway() -> StalledRead:
    return StalledRead()


async def _confirm_reply_lost(services: Services, gateway: FakeGateway) -> Order:
    """An order left CONFIRMING by a confirm whose answer never came; Toss approved it."""
    order = await create_order(
        services, ADMIN, CreateOrderRequest(order_name="정기 구독", amount=10000, buyer="alice")
    )
    gateway.confirm_outcome = GatewayTechnicalError("read timeout")
    with pytest.raises(DomainError) as pending:
        await confirm_payment(
            services, ALICE, payment_key=KEY, order_id=order.order_id, amount=order.amount
        )
    assert pending.value.code is ErrorCode.PAYMENT_PENDING
    gateway.confirm_outcome = None
    gateway.stored[KEY] = approved(KEY, order.order_id, order.amount)
    return order


async def _settlements(database_url: str, order_id: str) -> list[tuple[str, str]]:
    """Each read of Toss's record written to the audit log: its type and its source."""
    return [
        (line.event_type, line.detail["source"])
        for line in await audit_log(database_url, order_id)
        if line.event_type in SETTLED
    ]


async def _overtaken_mid_read(
    services: Services, clock: ManualClock, gateway: StalledRead, order: Order
) -> None:
    """Once the first read of Toss hangs, its holder's lease lapses, and a reconcile pass
    takes the order and settles it; then Toss answers the hanging read."""
    await asyncio.wait_for(gateway.stalled.wait(), HANG)
    clock.advance(LEASE + timedelta(seconds=1))
    overtaking = await settle_unknown_outcomes(services, NOW)
    assert overtaking.settled == [order.order_id]
    gateway.answer.set()


async def test_a_reconcile_pass_overtaken_during_its_read_of_toss_writes_nothing(
    services: Services, clock: ManualClock, gateway: StalledRead, clean_database: str
) -> None:
    order = await _confirm_reply_lost(services, gateway)
    clock.advance(timedelta(seconds=1))
    first = asyncio.create_task(settle_unknown_outcomes(services, NOW))
    await _overtaken_mid_read(services, clock, gateway, order)
    report = await asyncio.wait_for(first, HANG)

    assert report.busy == [order.order_id], report
    assert await _settlements(clean_database, order.order_id) == [
        (PaymentEventType.SETTLED_FROM_TOSS.value, "reconcile")
    ]
    async with services.unit_of_work() as uow:
        settled = await uow.orders.get(order.order_id)
    assert settled is not None and settled.status is OrderStatus.PAID


async def test_webhooks_whose_read_of_toss_was_overtaken_write_nothing_and_wait(
    services: Services, clock: ManualClock, gateway: StalledRead, clean_database: str
) -> None:
    order = await _confirm_reply_lost(services, gateway)
    webhook = Webhook(
        transmission_id="tx-overtaken",
        event_type=WebhookEventType.PAYMENT_STATUS_CHANGED,
        order_id=order.order_id,
        payment_key=KEY,
        claimed_status="DONE",
        secret=None,
        retried_count=0,
        received_at=clock(),
    )
    assert await receive_webhook(services, webhook)
    clock.advance(timedelta(seconds=1))
    first = asyncio.create_task(process_received_webhooks(services, passes=1))
    await _overtaken_mid_read(services, clock, gateway, order)
    processed = await asyncio.wait_for(first, HANG)

    assert processed == 0
    assert await _settlements(clean_database, order.order_id) == [
        (PaymentEventType.SETTLED_FROM_TOSS.value, "reconcile")
    ]
    async with services.unit_of_work() as uow:
        waiting = await uow.webhooks.unprocessed(10)
    assert [w.transmission_id for w in waiting] == [webhook.transmission_id]
