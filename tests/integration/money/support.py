"""The domain's services on the test's real database, with Toss faked and time in the test's
hands: a clock that moves only when told (or when the code under test sleeps), so a lease
lapses exactly where a test says."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.models import Order, Principal, Role
from toss_graphql.domain.orders import CreateOrderRequest, create_order
from toss_graphql.domain.services import Services

LEASE = timedelta(seconds=8)
ADMIN = Principal("ops", Role.ADMIN)
ALICE = Principal("alice")


class ManualClock:
    """Now is what the test last made it; a sleep of the code under test moves it on by the
    time slept, and may be parked by the test at a moment of its choosing."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, tzinfo=UTC)
        self.slept = timedelta(0)
        self.park_after: timedelta | None = None
        self.parked = asyncio.Event()
        self.resume = asyncio.Event()
        # Run at each sleep, once the clock has moved: another party's sign of life.
        self.each_sleep: Callable[[], Awaitable[None]] | None = None

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    async def sleep(self, seconds: float) -> None:
        self.advance(timedelta(seconds=seconds))
        self.slept += timedelta(seconds=seconds)
        if self.each_sleep is not None:
            await self.each_sleep()
        if self.park_after is not None and self.slept >= self.park_after:
            self.park_after = None
            self.parked.set()
            await self.resume.wait()
        await asyncio.sleep(0)


async def paid_order(
    services: Services, name: str = "정기 구독", amount: int = 10000, key: str = "tgen_paid"
) -> Order:
    order = await create_order(
        services, ADMIN, CreateOrderRequest(order_name=name, amount=amount, buyer="alice")
    )
    await confirm_payment(
        services, ALICE, payment_key=key, order_id=order.order_id, amount=order.amount
    )
    return order
