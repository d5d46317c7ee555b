"""The reconciler that runs inside `serve`: webhooks received, then open outcomes settled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from .domain.reconcile import ReconcilePolicy, settle_unknown_outcomes
from .domain.services import Services
from .domain.webhooks import WebhookProcessor

log = logging.getLogger(__name__)


async def reconcile_forever(
    services: Services, webhooks: WebhookProcessor, policy: ReconcilePolicy, interval: float
) -> None:
    """`webhooks` is the process's one processor, shared with the webhook endpoint: an order
    is read from Toss no more often than its re-read interval, whoever asks."""
    while True:
        # Each step on its own: a failing one (database restarting, say) must not stop the
        # other, nor end the loop; the next round retries, and nothing was committed halfway.
        # A failing order stops neither: both set it aside and go on to the next.
        try:
            await webhooks.wake()
        except Exception:
            log.exception("processing received webhooks failed")
        try:
            await settle_unknown_outcomes(services, policy)
        except Exception:
            log.exception("reconciliation round failed")
        await asyncio.sleep(interval)


@asynccontextmanager
async def running_reconciler(
    services: Services, webhooks: WebhookProcessor, policy: ReconcilePolicy, interval: float
) -> AsyncIterator[None]:
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(reconcile_forever(services, webhooks, policy, interval))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
