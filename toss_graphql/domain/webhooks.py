"""Toss's payment webhooks: stored once, verified against Toss, settled like any other news.

Payment webhooks are unsigned (toss-api.md §8.2), so a body is only a hint of which order to
look at: the payment is read back from Toss before anything changes, and a DEPOSIT_CALLBACK's
`secret` must equal the one Toss holds for that payment. Webhooks are stored in an inbox keyed
by transmission id (Toss resends the same id on retries), answered at once, and processed
after the answer, so Toss always gets its 200 well within its 10 seconds.

Anyone can post a webhook, so a webhook must not cost a read of Toss:

- the webhooks of one order waiting in the inbox are settled together, under the order's
  lock, by one read: of their payment key when they all name the same one, else of Toss's
  payment for the order id (a webhook naming any other key is not about that payment);
- a processor reads an order again no sooner than `REREAD_INTERVAL` after its last read:
  webhooks for it arriving meanwhile wait for that next read, which settles them all, while
  other orders' webhooks go on at once;
- a process runs one processing run at a time (`WebhookProcessor.wake`): webhooks arriving
  meanwhile join it instead of starting runs of their own.

The order's lock keeps one read of it in flight across processes; the interval is each
process's own, so N processes may read one order N times per interval.

One order's fault is that order's alone: whatever processing its webhooks raises sets them
aside as FAILED, for an operator, and other orders' webhooks go on.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from .alignment import apply_toss_record
from .models import InboxStatus, PaymentEvent, PaymentEventType, Webhook, WebhookEventType
from .order_lock import LockLost, OrderLock, order_lock
from .ports.gateway import Checkout, GatewayRejected, GatewayTechnicalError, TossPayment
from .ports.storage import UnitOfWork
from .services import Services

log = logging.getLogger(__name__)


# Short, so that a genuine change Toss reports right after another waits only a moment.
REREAD_INTERVAL = timedelta(seconds=3)
# Webhooks taken from the inbox per pass; one order's are settled together, so a flood for
# one order costs a pass little and does not hide other orders' webhooks behind it.
PAGE = 500


@dataclass(frozen=True, slots=True)
class Verdict:
    """How a webhook ended: the inbox's status and a note on why."""

    status: InboxStatus
    note: str


Outcome = tuple[Webhook, Verdict]
SET_ASIDE = Verdict(InboxStatus.FAILED, "processing failed; see the log")
_WRONG_SECRET = Verdict(InboxStatus.REJECTED, "secret does not match Toss's")


@dataclass
class _PassResult:
    finished: int = 0
    # Some webhooks are worth another pass soon: their order was busy, Toss could not be
    # asked, or their outcome could not be recorded.
    left_behind: bool = False
    # When the first order waiting out its interval may be read again.
    next_read_at: datetime | None = None

    def read_again_at(self, moment: datetime) -> None:
        if self.next_read_at is None or moment < self.next_read_at:
            self.next_read_at = moment


async def receive_webhook(services: Services, webhook: Webhook) -> bool:
    """Store the webhook once; False for a resend of one already stored."""
    async with services.unit_of_work() as uow:
        return await uow.webhooks.add(webhook)


async def process_received_webhooks(
    services: Services, limit: int = PAGE, *, passes: int = 3, pause: float = 0.5
) -> int:
    """Act on every stored webhook not processed yet; returns how many were processed.

    Webhooks whose order is busy (another webhook or a cancel holds its lock), whose payment
    Toss cannot be asked about right now, or whose outcome could not be recorded are tried
    again after a pause, in up to `passes` passes; whatever is left waits for the next run.
    """
    return await WebhookProcessor(services, page=limit).run(passes=passes, pause=pause)


class WebhookProcessor:
    """Works through the inbox for one process, remembering when it last read each order."""

    def __init__(
        self,
        services: Services,
        *,
        reread_interval: timedelta = REREAD_INTERVAL,
        page: int = PAGE,
    ) -> None:
        self.services = services
        self._reread_interval = reread_interval
        self._page = page
        self._read_at: dict[str, datetime] = {}
        self._running = False
        self._arrived = asyncio.Event()

    async def wake(self) -> int:
        """Process the inbox; when a run is under way already, have it take another pass
        instead of starting a second. Returns how many webhooks this call processed."""
        if self._running:
            self._arrived.set()
            return 0
        self._running = True
        try:
            return await self.run()
        finally:
            self._running = False

    async def run(self, *, passes: int = 3, pause: float = 0.5) -> int:
        """Pass over the inbox until nothing in it can be settled now; see
        `process_received_webhooks`. Waiting out an order's interval costs no pass."""
        processed = passes_leaving_some = 0
        while True:
            self._arrived.clear()
            result = await self._pass()
            processed += result.finished
            if result.left_behind:
                passes_leaving_some += 1
            if self._arrived.is_set():
                continue
            if result.next_read_at is not None:
                await self._wait((result.next_read_at - self.services.clock()).total_seconds())
            elif result.left_behind and passes_leaving_some < passes:
                await self._wait(pause)
            else:
                return processed

    async def _wait(self, seconds: float) -> None:
        """Sleep, but no longer than until a webhook arrives: it may be another order's."""
        sleeping = asyncio.ensure_future(self.services.sleep(max(seconds, 0.0)))
        arriving = asyncio.ensure_future(self._arrived.wait())
        try:
            await asyncio.wait((sleeping, arriving), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (sleeping, arriving):
                waiter.cancel()
            await asyncio.gather(sleeping, arriving, return_exceptions=True)

    async def _pass(self) -> _PassResult:
        async with self.services.unit_of_work() as uow:
            waiting = await uow.webhooks.unprocessed(self._page)
        result = _PassResult()
        now = self.services.clock()
        self._read_at = {
            order_id: read_at
            for order_id, read_at in self._read_at.items()
            if read_at + self._reread_interval > now
        }
        unattached: list[Outcome] = []
        by_order: dict[str, list[Webhook]] = {}
        for webhook in waiting:
            if webhook.event_type is WebhookEventType.CANCEL_STATUS_CHANGED:
                # Sent only for foreign easy-pay cancels, which this service does not offer.
                note = "cancel status events concern foreign easy-pay only"
                unattached.append((webhook, Verdict(InboxStatus.IGNORED, note)))
            elif webhook.order_id is None:
                unattached.append((webhook, Verdict(InboxStatus.REJECTED, "no orderId")))
            else:
                by_order.setdefault(webhook.order_id, []).append(webhook)
        if unattached:
            await self._record(None, unattached, result)
        for order_id, webhooks in by_order.items():
            read_at = self._read_at.get(order_id)
            if read_at is not None:
                result.read_again_at(read_at + self._reread_interval)
                continue
            outcomes = await self._settle_isolated(order_id, webhooks)
            if outcomes is None:
                result.left_behind = True
            else:
                await self._record(order_id, outcomes, result)
        return result

    async def _settle_isolated(
        self, order_id: str, webhooks: list[Webhook]
    ) -> list[Outcome] | None:
        try:
            return await self._settle_order(order_id, webhooks)
        except Exception:
            # A bug one order trips must not block the others: its webhooks are set aside
            # for an operator. The id in the message: the formatter puts extras last.
            log.exception(
                "processing the webhooks of order %s failed; they are set aside",
                order_id,
                extra={"order_id": order_id},
            )
            return [(webhook, SET_ASIDE) for webhook in webhooks]

    async def _settle_order(self, order_id: str, webhooks: list[Webhook]) -> list[Outcome] | None:
        """None when the webhooks must wait: the order is busy, or Toss unreachable."""
        services = self.services
        async with services.unit_of_work() as uow:
            order = await uow.orders.get(order_id)
        if order is None:
            rejected = Verdict(InboxStatus.REJECTED, "no such order")
            return [(webhook, rejected) for webhook in webhooks]
        # The lock first, then Toss's record: a record read before taking the lock could be
        # older than a cancel that finished meanwhile.
        async with order_lock(services, order_id) as lock:
            if lock is None:
                return None
            # Counted from the attempt: an order Toss cannot be asked about is not asked
            # again at once either.
            self._read_at[order_id] = services.clock()
            try:
                return await _verify_and_settle(services, lock, order.checkout, webhooks)
            except LockLost:
                # The lease lapsed during the read of Toss and another holder took the
                # order: nothing of this read is written; the webhooks wait for a later pass.
                log.info("order lock lost while settling webhooks", extra={"order_id": order_id})
                return None

    async def _record(
        self, order_id: str | None, outcomes: list[Outcome], result: _PassResult
    ) -> None:
        """Store how each webhook ended, in one transaction; if that fails, they stay in the
        inbox for a later pass."""
        now = self.services.clock()
        try:
            async with self.services.unit_of_work() as uow:
                for webhook, verdict in outcomes:
                    await uow.webhooks.finish(
                        webhook.transmission_id,
                        status=verdict.status,
                        outcome=verdict.note,
                        now=now,
                    )
                await _audit_rejections(uow, outcomes, now)
        except Exception:
            log.exception(
                "recording how webhooks of order %s ended failed; they are tried again",
                order_id,
                extra={"order_id": order_id},
            )
            result.left_behind = True
            return
        result.finished += len(outcomes)


async def _verify_and_settle(
    services: Services, lock: OrderLock, checkout: Checkout, webhooks: list[Webhook]
) -> list[Outcome] | None:
    order_id = lock.order_id
    try:
        # The lock was claimed just before: that claim is this call's renewal.
        toss = await _read_payment_for(services, order_id, checkout, webhooks)
    except GatewayRejected as rejection:
        rejected = Verdict(InboxStatus.REJECTED, f"Toss does not know it: {rejection.code}")
        return [(webhook, rejected) for webhook in webhooks]
    except GatewayTechnicalError:
        return None
    if toss.order_id != order_id:
        rejected = Verdict(InboxStatus.REJECTED, "the payment belongs to another order")
        return [(webhook, rejected) for webhook in webhooks]
    refused: list[Outcome] = []
    verified: list[Webhook] = []
    for webhook in webhooks:
        refusal = _refusal(webhook, toss)
        if refusal is None:
            verified.append(webhook)
        else:
            refused.append((webhook, refusal))
    wrong_secrets = sum(verdict is _WRONG_SECRET for _, verdict in refused)
    if wrong_secrets:
        log.warning(
            "DEPOSIT_CALLBACK with a wrong secret",
            extra={"order_id": order_id, "webhooks": wrong_secrets},
        )
    if not verified:
        return refused
    events = sorted({webhook.event_type for webhook in verified})
    settled = await apply_toss_record(
        services, order_id, toss, source=f"webhook {', '.join(events)}", lock=lock
    )
    processed = Verdict(InboxStatus.PROCESSED, settled.note or "in line")
    return refused + [(webhook, processed) for webhook in verified]


def _refusal(webhook: Webhook, toss: TossPayment) -> Verdict | None:
    """Why Toss's record does not bear this webhook out, or None when it does."""
    if webhook.payment_key is not None and webhook.payment_key != toss.payment_key:
        return Verdict(InboxStatus.REJECTED, "not the payment Toss holds for this order")
    if webhook.event_type is WebhookEventType.DEPOSIT_CALLBACK and not _same_secret(
        webhook.secret, toss.secret
    ):
        return _WRONG_SECRET
    return None


async def _read_payment_for(
    services: Services, order_id: str, checkout: Checkout, webhooks: list[Webhook]
) -> TossPayment:
    """One read for all of them: the payment they all name, else the order's at Toss (the
    one Toss confirmed for the order id, else its latest)."""
    keys = {webhook.payment_key for webhook in webhooks}
    if len(keys) == 1:
        (key,) = keys
        if key is not None:
            return await services.gateway.get_payment(key, checkout=checkout)
    return await services.gateway.get_payment_by_order_id(order_id, checkout=checkout)


async def _audit_rejections(uow: UnitOfWork, outcomes: list[Outcome], now: datetime) -> None:
    known: dict[str, bool] = {}
    for webhook, verdict in outcomes:
        order_id = webhook.order_id
        if verdict.status is not InboxStatus.REJECTED or order_id is None:
            continue
        if order_id not in known:
            known[order_id] = await uow.orders.get(order_id) is not None
        if known[order_id]:
            await uow.events.append(
                PaymentEvent(
                    order_id=order_id,
                    event_type=PaymentEventType.WEBHOOK_REJECTED,
                    created_at=now,
                    payment_key=webhook.payment_key,
                    detail={"event": webhook.event_type, "reason": verdict.note},
                )
            )


def _same_secret(claimed: str | None, actual: str | None) -> bool:
    if not claimed or actual is None:
        return False
    return hmac.compare_digest(claimed.encode(), actual.encode())
