"""The reconciler that runs inside `serve`: webhooks received, then open outcomes settled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from . import process_metrics, telemetry
from .domain.reconcile import (
    Progress,
    ReconcilePolicy,
    ReconcileReport,
    settle_unknown_outcomes,
)
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
            await webhooks_pass(webhooks.wake)
        except Exception:
            log.exception("processing received webhooks failed")
        try:
            await reconcile_pass(services, policy)
        except Exception:
            process_metrics.RECONCILE_PASS_FAILED.inc()
            log.exception("reconciliation round failed")
        process_metrics.RECONCILE_PASS_ENDED.set_to_current_time()
        await asyncio.sleep(interval)


async def webhooks_pass(process: Callable[[], Awaitable[int]]) -> int:
    """The received webhooks processed by `process`, in a span of their own."""
    with telemetry.span("webhooks pass") as span:
        processed = await process()
        if span is not None:
            span.set_attribute("toss_graphql.webhooks.processed", processed)
        return processed


async def reconcile_pass(
    services: Services, policy: ReconcilePolicy, progress: Progress | None = None
) -> ReconcileReport:
    """One round of settling open outcomes, in a span of its own."""
    with telemetry.span("reconcile pass") as span:
        report = await settle_unknown_outcomes(services, policy, progress)
        if span is not None:
            span.set_attribute("toss_graphql.reconcile.examined", report.examined)
            span.set_attribute("toss_graphql.reconcile.settled", len(report.settled))
            span.set_attribute("toss_graphql.reconcile.unreachable", len(report.unreachable))
            span.set_attribute("toss_graphql.reconcile.failed", len(report.failed))
        return report


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
