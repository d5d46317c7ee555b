"""An order followed live, on the in-memory store: the first state, each different state
after a change, refusals, and the end at the token's expiry."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.fakes import MemoryReads, MemoryStore
from tests.support.waiting import eventually
from toss_graphql.db.order_change_hub import OrderChangeHub
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import Order, OrderStatus, Payment, Principal, Role
from toss_graphql.domain.order_updates import order_updates
from toss_graphql.domain.orders import CreateOrderRequest, LineRequest, create_order
from toss_graphql.domain.ports.gateway import TossPaymentStatus
from toss_graphql.domain.services import Services

# How long a follower is watched for sending nothing, once what could wake it has been done.
QUIET_SECONDS = 0.05


class CountedReads(MemoryReads):
    """The read path, counting the follower's reads: a read is how a wake-up shows."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store)
        self.order_reads = 0

    async def order_with_payment(self, order_id: str) -> tuple[Order, Payment | None] | None:
        found = await super().order_with_payment(order_id)
        self.order_reads += 1
        return found


async def an_order(services: Services, buyer: Principal) -> str:
    order = await create_order(services, buyer, CreateOrderRequest(lines=[LineRequest("latte", 1)]))
    return order.order_id


def change(store: MemoryStore, order_id: str, **fields: object) -> None:
    store.orders[order_id] = dataclasses.replace(store.orders[order_id], **fields)  # type: ignore[arg-type]


async def test_the_first_state_then_each_change(
    services: Services, store: MemoryStore, alice: Principal
) -> None:
    hub = OrderChangeHub()
    order_id = await an_order(services, alice)
    updates = order_updates(services, hub, alice, order_id)

    first, payment = await anext(updates)
    assert (first.status, payment) == (OrderStatus.PENDING, None)

    change(store, order_id, status=OrderStatus.CONFIRMING)
    hub.changed(order_id)
    assert (await anext(updates))[0].status is OrderStatus.CONFIRMING

    change(store, order_id, status=OrderStatus.PAID)
    store.payments[order_id] = Payment(
        payment_key="pk-1",
        order_id=order_id,
        method="카드",
        total_amount=5000,
        balance_amount=5000,
        toss_status=TossPaymentStatus.DONE,
        approved_at=None,
        receipt_url=None,
    )
    hub.changed(order_id)
    paid, payment = await anext(updates)
    assert paid.status is OrderStatus.PAID
    assert payment is not None and payment.payment_key == "pk-1"
    await updates.aclose()
    assert not hub.watching


async def test_a_wake_up_with_nothing_new_sends_nothing(
    services: Services, store: MemoryStore, alice: Principal
) -> None:
    hub = OrderChangeHub()
    reads = CountedReads(store)
    order_id = await an_order(services, alice)
    updates = order_updates(dataclasses.replace(services, reads=reads), hub, alice, order_id)
    await anext(updates)
    before = reads.order_reads

    hub.changed(order_id)  # e.g. a change already seen, or two folded into one read
    waiting = asyncio.ensure_future(anext(updates))
    await eventually(lambda: reads.order_reads > before, "the wake-up's read")
    # The wake-up has been read and found nothing new: a yield would come now.
    await asyncio.sleep(QUIET_SECONDS)
    assert not waiting.done()

    change(store, order_id, attention="checked by hand")
    hub.changed(order_id)
    assert (await waiting)[0].attention == "checked by hand"
    await updates.aclose()


async def test_other_orders_changes_do_not_wake_it(
    services: Services, store: MemoryStore, alice: Principal
) -> None:
    hub = OrderChangeHub()
    reads = CountedReads(store)
    mine, other = await an_order(services, alice), await an_order(services, alice)
    updates = order_updates(dataclasses.replace(services, reads=reads), hub, alice, mine)
    await anext(updates)
    before = reads.order_reads
    change(store, other, status=OrderStatus.FAILED)
    hub.changed(other)
    # A raised flag stays up until its follower wakes, which it does within the window.
    waiting = asyncio.ensure_future(anext(updates))
    await asyncio.sleep(QUIET_SECONDS)
    assert not waiting.done()
    # Not even woken: its own order is unchanged, so only a wake-up's read would show.
    assert reads.order_reads == before
    waiting.cancel()
    with suppress(asyncio.CancelledError):
        await waiting
    await updates.aclose()
    assert not hub.watching


async def test_another_buyers_order_and_a_missing_one_are_refused_alike(
    services: Services, alice: Principal
) -> None:
    hub = OrderChangeHub()
    order_id = await an_order(services, alice)
    refusals = []
    for buyer, wanted in ((Principal("bob"), order_id), (alice, "ord_missing_000000")):
        with pytest.raises(DomainError) as refused:
            await anext(order_updates(services, hub, buyer, wanted))
        refusals.append((refused.value.code, refused.value.message))
    assert refusals == [(ErrorCode.ORDER_NOT_FOUND, "order not found")] * 2
    assert not hub.watching


async def test_an_admin_follows_any_buyers_order(services: Services, alice: Principal) -> None:
    order_id = await an_order(services, alice)
    updates = order_updates(services, OrderChangeHub(), Principal("ops", Role.ADMIN), order_id)
    assert (await anext(updates))[0].buyer == "alice"
    await updates.aclose()


async def test_the_updates_end_when_the_token_expires(services: Services, alice: Principal) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    fixed = dataclasses.replace(services, clock=lambda: now)
    order_id = await an_order(services, alice)
    updates = order_updates(
        fixed, OrderChangeHub(), alice, order_id, until=now + timedelta(seconds=QUIET_SECONDS)
    )
    await anext(updates)
    with pytest.raises(DomainError) as ended:
        await anext(updates)
    assert (ended.value.code, ended.value.message) == (
        ErrorCode.UNAUTHENTICATED,
        "token has expired",
    )
