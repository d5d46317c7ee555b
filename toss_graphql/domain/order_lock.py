"""The order's lock row: one holder at a time, across processes and instances.

Cancels, webhook settlement and the reconciler read Toss and then write the books for one
order; the lock keeps two of them from interleaving. It is a lease: a holder that dies leaves
it to expire after `Services.lock_lease`, and a live holder renews it before each call to
Toss (claiming it counts for the first) and checks it again, in the very transaction that
writes, before it writes (`hold`).

The lease is sized to outlast one Toss call, but a call can outlive it all the same: waiting
for a connection from the HTTP client's pool, or in a process paused by its host. Another
holder may then take the lock. What keeps the books whole is the check before writing, not
the lease: a holder that finds the lock taken there writes nothing (`LockLost`) and leaves the
order to the holder that took it, and to the next reconciliation (docs/architecture.md §3.2).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from .ports.storage import UnitOfWork
from .services import Services

POLL = timedelta(milliseconds=50)

# Called between two tries of a lock another holder has: a sign of life of the waiter.
Waiting = Callable[[], Awaitable[None]]


class LockLost(Exception):
    """Another holder took the order's lock after this one's lease lapsed: nothing may be
    written under it any more."""


class OrderLock:
    """A claim on one order's lock row, under a token only this holder knows."""

    def __init__(self, services: Services, order_id: str) -> None:
        self.services = services
        self.order_id = order_id
        self.token = secrets.token_hex(16)

    async def claim(self, uow: UnitOfWork) -> bool:
        """Take the lock inside `uow` if it is free or its holder's lease lapsed: whether
        this holder has it now."""
        now = self.services.clock()
        return await uow.orders.claim_lock(
            self.order_id,
            token=self.token,
            now=now,
            stale_before=now - self.services.lock_lease,
        )

    async def renew(self, uow: UnitOfWork) -> bool:
        """Re-stamp the lock inside `uow`, its lease counting from this moment: whether this
        holder has held it without a break since claiming it. A lock another holder took in
        the meantime is lost even once that holder let it go: what this one read before may
        be older than what that one wrote."""
        return await uow.orders.renew_lock(
            self.order_id, token=self.token, now=self.services.clock()
        )

    async def hold(self, uow: UnitOfWork) -> None:
        """Before writing in `uow`: renew the lock in the same transaction, or raise
        `LockLost` so that the transaction writes nothing."""
        if not await self.renew(uow):
            raise LockLost(self.order_id)

    async def keep(self) -> None:
        """Before a call to Toss: renew the lock in a transaction of its own, or raise
        `LockLost`."""
        async with self.services.unit_of_work() as uow:
            await self.hold(uow)

    async def acquire(self, wait: timedelta, waiting: Waiting | None = None) -> bool:
        """Claim the lock, polling for up to `wait` while another holder has it; `waiting`
        is called before each pause."""
        deadline = self.services.clock() + wait
        while True:
            async with self.services.unit_of_work() as uow:
                if await self.claim(uow):
                    return True
            if self.services.clock() >= deadline:
                return False
            if waiting is not None:
                await waiting()
            await self.services.sleep(POLL.total_seconds())

    async def release(self) -> None:
        async with self.services.unit_of_work() as uow:
            await uow.orders.release_lock(self.order_id, token=self.token)


@asynccontextmanager
async def order_lock(
    services: Services,
    order_id: str,
    *,
    wait: timedelta = timedelta(0),
    waiting: Waiting | None = None,
) -> AsyncIterator[OrderLock | None]:
    """The order's lock for the block, released after it; None when another holder kept it
    for all of `wait` (by default the lock is tried once)."""
    lock = OrderLock(services, order_id)
    if not await lock.acquire(wait, waiting):
        yield None
        return
    try:
        yield lock
    finally:
        await lock.release()
