"""Settling every order whose outcome at Toss is not known here (`settle_unknown_outcomes`).

A confirm or a cancel whose answer never came, a process killed between Toss's answer and the
commit, a virtual account waiting for its deposit: each is read back from Toss and settled
through `alignment`. Several workers or instances may run this at once: each order is taken
under its lock row, so one of them settles it at a time.

One order's fault is that order's alone. Whatever settling it raises (a bug, a row the
database refuses) is logged at ERROR with its order id, nothing of that attempt is committed,
the order counts as `failed` and the run goes on to the next; the next run tries it again.
An order still failing once it has gone `give_up_after` (RECONCILE_GIVE_UP_AFTER_SECONDS)
without a change is handed to an operator like any other order left open that long:
`attention` is set and a RECONCILE_GAVE_UP event written. The order's age decides, not a count
of failed attempts: no counter has to be written by the very runs whose writes fail, and a
run every 30 s gives up no sooner than one a day.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import assert_never

from .alignment import FailureAudit, apply_toss_record, fail_claimed_checkout
from .cancel import drive_locked
from .errors import DomainError
from .models import (
    CancelRequest,
    CancelRequestStatus,
    Failure,
    Order,
    OrderStatus,
    PaymentEvent,
    PaymentEventType,
)
from .order_lock import LockLost, OrderLock, order_lock
from .ports.gateway import (
    GatewayRejected,
    GatewayTechnicalError,
    TossFailure,
    TossPayment,
    TossPaymentStatus,
)
from .services import Services

log = logging.getLogger(__name__)

BATCH = 100


class Outcome(StrEnum):
    """How reconciling one order ended; `ReconcileReport` lists the orders by outcome."""

    SETTLED = "settled"
    UNCHANGED = "unchanged"
    # Locked by another worker.
    BUSY = "busy"
    UNREACHABLE = "unreachable"
    # Settling raised: tried again on the next run.
    FAILED = "failed"
    GAVE_UP = "gave_up"


@dataclass(frozen=True, slots=True)
class ReconcilePolicy:
    # Leave fresh orders to the request that is still working on them.
    min_age: timedelta = timedelta(seconds=60)
    # Past this, an order still open is handed to an operator instead of retried forever.
    give_up_after: timedelta = timedelta(hours=24)


@dataclass
class ReconcileReport:
    examined: int = 0
    settled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)

    def record(self, order_id: str, outcome: Outcome) -> None:
        self._listed(outcome).append(order_id)

    def _listed(self, outcome: Outcome) -> list[str]:
        match outcome:
            case Outcome.SETTLED:
                return self.settled
            case Outcome.UNCHANGED:
                return self.unchanged
            case Outcome.BUSY:
                return self.busy
            case Outcome.UNREACHABLE:
                return self.unreachable
            case Outcome.FAILED:
                return self.failed
            case Outcome.GAVE_UP:
                return self.gave_up
            case _:
                assert_never(outcome)

    def summary(self) -> str:
        return (
            f"examined {self.examined}: settled {len(self.settled)}, unchanged "
            f"{len(self.unchanged)}, locked by another worker {len(self.busy)}, Toss unreachable "
            f"{len(self.unreachable)}, failed {len(self.failed)}, handed to an operator "
            f"{len(self.gave_up)}"
        )


Progress = Callable[[str, Outcome], None]


async def settle_unknown_outcomes(
    services: Services,
    policy: ReconcilePolicy = ReconcilePolicy(),
    progress: Progress | None = None,
) -> ReconcileReport:
    report = ReconcileReport()
    now = services.clock()
    async with services.unit_of_work() as uow:
        order_ids = await uow.orders.needing_settlement(
            changed_before=now - policy.min_age, limit=BATCH
        )
    for order_id in order_ids:
        report.examined += 1
        outcome = await _settle_isolated(services, order_id, policy)
        report.record(order_id, outcome)
        if progress is not None:
            progress(order_id, outcome)
    if report.examined:
        log.info("reconciliation round", extra={"summary": report.summary()})
    return report


async def _settle_isolated(services: Services, order_id: str, policy: ReconcilePolicy) -> Outcome:
    """Settle one order; whatever that raises stays with the order (see the module doc)."""
    try:
        return await _settle_locked(services, order_id, policy)
    except Exception as error:
        # The id in the message too: the formatter puts extras after the traceback.
        log.exception(
            "settling order %s failed; the next run tries it again",
            order_id,
            extra={"order_id": order_id},
        )
        fault = type(error).__name__
    try:
        async with services.unit_of_work() as uow:
            order = await uow.orders.get(order_id)
        assert order is not None, "orders are never deleted"
        # The exception's type only: its message may quote the very data that was refused.
        return await _unresolved(
            services, order, policy, f"settling it raised {fault}", Outcome.FAILED
        )
    except Exception:
        log.exception(
            "order %s failed and could not be handed over", order_id, extra={"order_id": order_id}
        )
        return Outcome.FAILED


async def _settle_locked(services: Services, order_id: str, policy: ReconcilePolicy) -> Outcome:
    async with order_lock(services, order_id) as lock:
        if lock is None:
            return Outcome.BUSY
        try:
            return await _settle_order_from_toss(services, order_id, policy, lock)
        except LockLost:
            # Its lease lapsed during a call to Toss and another holder took the order:
            # what this run read is left unwritten, to that holder and the next run.
            log.info("order lock lost while reconciling", extra={"order_id": order_id})
            return Outcome.BUSY


async def _settle_order_from_toss(
    services: Services, order_id: str, policy: ReconcilePolicy, lock: OrderLock
) -> Outcome:
    async with services.unit_of_work() as uow:
        order = await uow.orders.get(order_id)
        pending = await uow.cancel_requests.pending_for_order(order_id)
    assert order is not None, "orders are never deleted"
    try:
        # The lock was claimed just now: that claim is this first call's renewal.
        toss = await _read_payment_of(services, order)
        if toss is None:
            if order.status is OrderStatus.CONFIRMING:
                await _fail_unknown_checkout(services, order, lock)
                return Outcome.SETTLED
            return await _unresolved(services, order, policy, "Toss has no such payment", lock=lock)
        if toss.status is TossPaymentStatus.IN_PROGRESS and order.status is OrderStatus.CONFIRMING:
            await lock.keep()
            toss = await _confirm_again(services, order, toss)
    except GatewayTechnicalError as error:
        log.warning("Toss unreachable while reconciling", extra={"order_id": order_id})
        async with services.unit_of_work() as uow:
            await lock.hold(uow)
            await uow.events.append(
                PaymentEvent(
                    order_id=order_id,
                    event_type=PaymentEventType.TOSS_UNREACHABLE,
                    created_at=services.clock(),
                    payment_key=order.payment_key,
                    detail={"source": "reconcile", "reason": str(error)[:200]},
                )
            )
        return await _unresolved(
            services, order, policy, f"Toss unreachable: {error}", Outcome.UNREACHABLE, lock=lock
        )

    settled = await apply_toss_record(services, order_id, toss, source="reconcile", lock=lock)
    changed = settled.changed
    if pending:
        changed = await _settle_pending_cancels(services, order_id, policy, lock) or changed
    if settled.order.status in (OrderStatus.CONFIRMING, OrderStatus.WAITING_FOR_DEPOSIT):
        if settled.order.status is OrderStatus.WAITING_FOR_DEPOSIT:
            return _settled_if(changed)  # a deposit may take days
        return await _unresolved(
            services, settled.order, policy, f"Toss says {toss.status}", lock=lock
        )
    return _settled_if(changed)


def _settled_if(changed: bool) -> Outcome:
    return Outcome.SETTLED if changed else Outcome.UNCHANGED


async def _read_payment_of(services: Services, order: Order) -> TossPayment | None:
    try:
        if order.payment_key is not None:
            return await services.gateway.get_payment(order.payment_key, checkout=order.checkout)
        return await services.gateway.get_payment_by_order_id(
            order.order_id, checkout=order.checkout
        )
    except GatewayRejected as rejection:
        if rejection.code in ("NOT_FOUND_PAYMENT", "NOT_FOUND"):
            return None
        raise GatewayTechnicalError(f"{rejection.code}: {rejection.message}") from rejection


async def _confirm_again(services: Services, order: Order, toss: TossPayment) -> TossPayment:
    """The buyer authenticated but Toss never saw our confirm (or its answer was lost before
    Toss processed it): send it again under the same Idempotency-Key, so it is applied once."""
    assert order.payment_key is not None
    try:
        return await services.gateway.confirm(
            payment_key=order.payment_key,
            order_id=order.order_id,
            amount=order.amount,
            checkout=order.checkout,
        )
    except GatewayRejected as rejection:
        if rejection.code == "ALREADY_PROCESSED_PAYMENT":
            return await services.gateway.get_payment(order.payment_key, checkout=order.checkout)
        # Toss refused the confirm, so the checkout never will be approved: settled as the
        # ABORTED payment it is, with Toss's refusal as its failure.
        return dataclasses.replace(
            toss,
            status=TossPaymentStatus.ABORTED,
            failure=TossFailure(rejection.code, rejection.message),
        )


async def _fail_unknown_checkout(services: Services, order: Order, lock: OrderLock) -> None:
    now = services.clock()
    failure = Failure("NOT_FOUND_PAYMENT", "Toss has no record of this checkout")
    audit = FailureAudit(
        PaymentEventType.SETTLED_FROM_TOSS,
        detail={"source": "reconcile", "to": OrderStatus.FAILED.value},
    )
    async with services.unit_of_work() as uow:
        await lock.hold(uow)
        await fail_claimed_checkout(
            uow, order, failure, now, payment_key=order.payment_key, audit=audit
        )


async def _settle_pending_cancels(
    services: Services, order_id: str, policy: ReconcilePolicy, lock: OrderLock
) -> bool:
    """A cancel request whose outcome is unknown is sent to Toss again under its own
    Idempotency-Key: Toss answers its first answer again, or carries it out once, so the
    request learns exactly which transaction is its own. One never sent (its process died
    first) did not reach Toss: it failed, and the buyer may ask again.

    A request never sent whose caller is alive is its caller's to send, not this run's to
    fail: a caller waiting for the order's lock re-stamps its request every quarter lease
    (cancel._signs_of_life), so only a request silent for longer than the lease (and
    `min_age`) is taken for abandoned, and it is failed only if it still is at the moment of
    writing. Sending one again is safe whoever waits for it: Toss acts on its key once."""
    now = services.clock()
    abandoned_before = now - max(policy.min_age, services.lock_lease)
    settled = False
    async with services.unit_of_work() as uow:
        pending = await uow.cancel_requests.pending_for_order(order_id)
    for request in pending:
        if request.updated_at >= now - policy.min_age:
            continue
        if request.sent_at is None:
            if request.updated_at < abandoned_before:
                settled = await _fail_unsent(services, request, lock, abandoned_before) or settled
            continue
        try:
            await drive_locked(services, request, lock)
        except DomainError as refusal:
            log.info(
                "pending cancel sent again",
                extra={"order_id": order_id, "outcome": refusal.code.value},
            )
        settled = True
    return settled


async def _fail_unsent(
    services: Services, request: CancelRequest, lock: OrderLock, stale_before: datetime
) -> bool:
    """Fail a request that never reached Toss and whose caller is gone; False, writing
    nothing, when its caller showed a sign of life after all."""
    now = services.clock()
    failed = dataclasses.replace(
        request,
        status=CancelRequestStatus.FAILED,
        error_code="GATEWAY_UNAVAILABLE",
        error_message="the cancel never reached Toss; nothing was refunded",
        updated_at=now,
    )
    async with services.unit_of_work() as uow:
        await lock.hold(uow)
        if not await uow.cancel_requests.fail_if_abandoned(failed, stale_before=stale_before):
            return False
        await uow.events.append(
            PaymentEvent(
                order_id=request.order_id,
                event_type=PaymentEventType.CANCEL_NEVER_SENT,
                created_at=now,
                detail={"request_id": request.request_id},
            )
        )
    return True


async def _unresolved(
    services: Services,
    order: Order,
    policy: ReconcilePolicy,
    reason: str,
    outcome: Outcome = Outcome.UNCHANGED,
    *,
    lock: OrderLock | None = None,
) -> Outcome:
    now = services.clock()
    if now - order.updated_at < policy.give_up_after:
        return outcome
    message = f"unsettled for {policy.give_up_after}: {reason}"
    log.error(
        "reconciliation gave up; an operator must settle this order",
        extra={"order_id": order.order_id, "reason": message},
    )
    async with services.unit_of_work() as uow:
        if lock is not None:
            await lock.hold(uow)
        await uow.orders.flag_attention(order.order_id, reason=message, now=now)
        await uow.events.append(
            PaymentEvent(
                order_id=order.order_id,
                event_type=PaymentEventType.RECONCILE_GAVE_UP,
                created_at=now,
                payment_key=order.payment_key,
                detail={"reason": message},
            )
        )
    return Outcome.GAVE_UP
