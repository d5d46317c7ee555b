"""Forged webhooks must not turn into reads of Toss: one read settles every webhook of an order
waiting in the inbox, an order is read again only after a short interval, and one process
runs one processing pass at a time."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.fakes import FakeGateway, MemoryStore
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.models import Order, OrderStatus, Principal
from toss_graphql.domain.orders import CreateOrderRequest, LineRequest, create_order
from toss_graphql.domain.ports.gateway import Checkout, TossPayment
from toss_graphql.domain.services import Services
from toss_graphql.domain.webhooks import (
    WebhookProcessor,
    process_received_webhooks,
    receive_webhook,
)
from toss_graphql.webhook_endpoint import parse_webhook

KEY = "tgen_flooded"
OTHER_KEY = "tgen_quiet"
INTERVAL = timedelta(seconds=3)


class ManualClock:
    """Time that moves only when a test or a sleep moves it; sleeps are recorded."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, tzinfo=UTC)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def timed(services: Services, clock: ManualClock) -> Services:
    return dataclasses.replace(services, clock=clock, sleep=clock.sleep)


async def paid_order(services: Services, alice: Principal, payment_key: str) -> Order:
    order = await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("latte", 1)]))
    await confirm_payment(
        services, alice, payment_key=payment_key, order_id=order.order_id, amount=order.amount
    )
    return order


async def receive_forged(
    services: Services, order: Order, count: int, *, payment_key: str = KEY, prefix: str = "w"
) -> None:
    """`count` webhooks claiming the payment was canceled, each with its own transmission id."""
    body = json.dumps(
        {
            "eventType": "PAYMENT_STATUS_CHANGED",
            "data": {"paymentKey": payment_key, "orderId": order.order_id, "status": "CANCELED"},
        }
    ).encode()
    for number in range(count):
        webhook = parse_webhook(body, f"{prefix}_{number}", "0", services.clock())
        assert await receive_webhook(services, webhook)


def statuses(store: MemoryStore) -> set[str]:
    return {status for _, status in store.webhooks.values()}


async def test_a_flood_for_one_payment_is_settled_by_one_read_of_toss(
    services: Services, alice: Principal, store: MemoryStore, gateway: FakeGateway
) -> None:
    order = await paid_order(services, alice, KEY)
    await receive_forged(services, order, 100)
    assert await process_received_webhooks(services) == 100
    assert gateway.get_calls == [KEY]
    assert statuses(store) == {"PROCESSED"}
    assert store.orders[order.order_id].status is OrderStatus.PAID, "Toss's record decides"


async def test_forged_payment_keys_for_one_order_cost_one_read_of_toss(
    services: Services, alice: Principal, store: MemoryStore, gateway: FakeGateway
) -> None:
    order = await paid_order(services, alice, KEY)
    by_order_id: list[str] = []
    real_by_order_id = gateway.get_payment_by_order_id

    async def counted(order_id: str, *, checkout: Checkout) -> TossPayment:
        by_order_id.append(order_id)
        return await real_by_order_id(order_id, checkout=checkout)

    gateway.get_payment_by_order_id = counted  # type: ignore[method-assign]
    for number in range(20):
        await receive_forged(
            services, order, 1, payment_key=f"tgen_forged_{number}", prefix=f"f{number}"
        )
    await receive_forged(services, order, 1, prefix="genuine")
    await process_received_webhooks(services)
    assert (gateway.get_calls, by_order_id) == ([], [order.order_id])
    outcomes = {tid: status for tid, (_, status) in store.webhooks.items()}
    assert outcomes.pop("genuine_0") == "PROCESSED"
    assert set(outcomes.values()) == {"REJECTED"}


async def test_webhooks_soon_after_a_read_wait_for_the_interval_then_share_one_read(
    timed: Services, alice: Principal, store: MemoryStore, gateway: FakeGateway, clock: ManualClock
) -> None:
    order = await paid_order(timed, alice, KEY)
    processor = WebhookProcessor(timed, reread_interval=INTERVAL)
    await receive_forged(timed, order, 1, prefix="first")
    await processor.run()
    assert gateway.get_calls == [KEY]

    clock.now += timedelta(seconds=1)
    await receive_forged(timed, order, 10, prefix="later")
    assert await processor.run() == 10
    assert gateway.get_calls == [KEY, KEY]
    assert sum(clock.slept) == pytest.approx(2.0), "read again once the interval is over"
    assert statuses(store) == {"PROCESSED"}


async def test_an_order_waiting_out_its_interval_holds_up_no_other_order(
    timed: Services, alice: Principal, store: MemoryStore, gateway: FakeGateway, clock: ManualClock
) -> None:
    flooded = await paid_order(timed, alice, KEY)
    quiet = await paid_order(timed, alice, OTHER_KEY)
    processor = WebhookProcessor(timed, reread_interval=INTERVAL)
    await receive_forged(timed, flooded, 1, prefix="first")
    await processor.run()

    await receive_forged(timed, flooded, 5, prefix="flood")
    await receive_forged(timed, quiet, 1, payment_key=OTHER_KEY, prefix="genuine")
    await processor.run()
    assert gateway.get_calls == [KEY, OTHER_KEY, KEY]
    assert statuses(store) == {"PROCESSED"}


async def test_webhooks_arriving_while_a_pass_runs_join_it_instead_of_starting_another(
    services: Services, alice: Principal, store: MemoryStore, gateway: FakeGateway
) -> None:
    order = await paid_order(services, alice, KEY)
    await receive_forged(services, order, 10)
    processor = WebhookProcessor(services, reread_interval=INTERVAL)
    await asyncio.gather(*(processor.wake() for _ in range(10)))
    assert gateway.get_calls == [KEY]
    assert statuses(store) == {"PROCESSED"}
