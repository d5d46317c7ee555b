"""The work time alone makes due: expiring payments past their window, sending the webhooks
whose time has come and, now and then, deleting idempotency records past their 15 days. A
background task does it every `webhook_poll_seconds`; `POST /admin/webhooks/deliver` does it
on demand."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final

from toss_sandbox.api.idempotency import delete_expired
from toss_sandbox.clock import SandboxClock
from toss_sandbox.lifecycle.expiry import expire_payments, stale_payment_keys
from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.storage.database import Database
from toss_sandbox.webhook_delivery import Attempt, WebhookSender, due_deliveries

logger = logging.getLogger(__name__)

# How often, on the sandbox clock, expired idempotency records are deleted. They are ignored
# from the moment they expire (api/idempotency.py), so this only bounds the table's size.
_IDEMPOTENCY_SWEEP_EVERY: Final = timedelta(minutes=10)


class DueWork:
    def __init__(
        self, database: Database, clock: SandboxClock, outbox: Outbox, sender: WebhookSender
    ) -> None:
        self._database = database
        self._clock = clock
        self._outbox = outbox
        self._sender = sender
        self._next_sweep_at: datetime | None = None

    async def run(self) -> list[Attempt]:
        """Expire what is past its window, then attempt every webhook due, once."""
        # One read finds all the work; the write lock is taken only when there is some.
        async with self._database.read() as connection:
            now = await self._clock.now_in(connection)
            stale = await stale_payment_keys(connection, now)
            due = await due_deliveries(connection, now)
        if stale:
            await expire_payments(self._database, self._outbox, stale, now)
            # The expiries' own webhooks go out in this same pass.
            async with self._database.read() as connection:
                due = await due_deliveries(connection, now)
        if self._next_sweep_at is None or now >= self._next_sweep_at:
            await delete_expired(self._database, now)
            self._next_sweep_at = now + _IDEMPOTENCY_SWEEP_EVERY
        return await self._sender.deliver(due, now)


class Ticker:
    """Runs `work` every `interval` seconds until closed; a failing run is logged."""

    def __init__(self, interval: float, work: Callable[[], Awaitable[object]]) -> None:
        self._interval = interval
        self._work = work
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="sandbox-due-work")

    async def close(self) -> None:
        """Stop after the current run: an attempt is never cut off between send and record."""
        task, self._task = self._task, None
        if task is not None:
            self._stop.set()
            await task

    async def _run(self) -> None:
        while True:
            # Waiting first leaves a starting process to its own start-up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)
            if self._stop.is_set():
                return
            try:
                await self._work()
            except Exception:
                logger.exception("the sandbox's background work failed; retrying")
