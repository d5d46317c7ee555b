"""The order's lock row: one holder at a time, across processes and instances.

Cancels, webhook settlement and the reconciler read Toss and then write the books for one
order; the lock keeps two of them from interleaving. It is a lease: a holder that dies leaves
it to expire after `Services.lock_lease`, and a live holder renews it before each call to
Toss and checks it again before it writes.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from .ports.storage import UnitOfWork
from .services import Services

POLL = timedelta(milliseconds=50)


class OrderLock:
    """A claim on one order's lock row, under a token only this holder knows."""

    def __init__(self, services: Services, order_id: str) -> None:
        self.services = services
        self.order_id = order_id
        self.token = secrets.token_hex(16)

    async def renew(self, uow: UnitOfWork) -> bool:
        """Claim or re-stamp the lock inside `uow`: whether this holder has it now. Its lease
        counts from this moment."""
        now = self.services.clock()
        return await uow.orders.claim_lock(
            self.order_id,
            token=self.token,
            now=now,
            stale_before=now - self.services.lock_lease,
        )

    async def acquire(self, wait: timedelta) -> bool:
        """Claim the lock, polling for up to `wait` while another holder has it."""
        deadline = self.services.clock() + wait
        while True:
            async with self.services.unit_of_work() as uow:
                if await self.renew(uow):
                    return True
            if self.services.clock() >= deadline:
                return False
            await self.services.sleep(POLL.total_seconds())

    async def release(self) -> None:
        async with self.services.unit_of_work() as uow:
            await uow.orders.release_lock(self.order_id, token=self.token)


@asynccontextmanager
async def order_lock(
    services: Services, order_id: str, *, wait: timedelta = timedelta(0)
) -> AsyncIterator[OrderLock | None]:
    """The order's lock for the block, released after it; None when another holder kept it
    for all of `wait` (by default the lock is tried once)."""
    lock = OrderLock(services, order_id)
    if not await lock.acquire(wait):
        yield None
        return
    try:
        yield lock
    finally:
        await lock.release()
