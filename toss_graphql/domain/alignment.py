"""Bringing an order in line with Toss's own record of its payment.

Every path that learns how a payment stands at Toss (a confirm's reply, a cancel's reply, a
reconciliation read, a verified webhook) ends here, so the order reaches the same single state
whichever of them arrives first, and however often. (Named for what it does, not after
Toss's Settlements API, the merchant's payouts, which this service does not use.)
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .models import (
    Cancel,
    CancelRequest,
    CancelRequestStatus,
    Failure,
    Order,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentEventType,
)
from .order_lock import OrderLock
from .ports.gateway import TossCancel, TossCancelStatus, TossPayment, TossPaymentStatus
from .ports.storage import UnitOfWork
from .services import Services
from .state_machine import PAID_STATES, OrderEvent, edge

log = logging.getLogger(__name__)

APPROVED = frozenset(
    {TossPaymentStatus.DONE, TossPaymentStatus.CANCELED, TossPaymentStatus.PARTIAL_CANCELED}
)
CANCELED_AT_TOSS = frozenset({TossPaymentStatus.CANCELED, TossPaymentStatus.PARTIAL_CANCELED})
NEVER_APPROVED = frozenset({TossPaymentStatus.ABORTED, TossPaymentStatus.EXPIRED})
# Toss holds the order's money, or will once the buyer pays into the virtual account.
APPROVED_OR_ISSUED = APPROVED | {TossPaymentStatus.WAITING_FOR_DEPOSIT}


@dataclass(frozen=True, slots=True)
class Settlement:
    order: Order
    payment: Payment | None
    changed: bool
    note: str


def payment_from_toss(order_id: str, toss: TossPayment) -> Payment:
    return Payment(
        payment_key=toss.payment_key,
        order_id=order_id,
        method=toss.method,
        total_amount=toss.total_amount,
        balance_amount=toss.balance_amount,
        toss_status=toss.status,
        # Stored and answered in UTC, whatever offset Toss used (it answers in +09:00).
        approved_at=toss.approved_at.astimezone(UTC) if toss.approved_at else None,
        receipt_url=toss.receipt_url,
        virtual_account=toss.virtual_account,
        card=toss.card,
        easy_pay=toss.easy_pay,
        transfer=toss.transfer,
        mobile_phone=toss.mobile_phone,
        raw=dict(toss.raw),
    )


async def apply_toss_record(
    services: Services,
    order_id: str,
    toss: TossPayment,
    *,
    source: str,
    event_type: PaymentEventType = PaymentEventType.SETTLED_FROM_TOSS,
    lock: OrderLock | None = None,
) -> Settlement:
    """Settle the order from `toss`, in one transaction. Never marks anything paid that Toss
    does not show approved for this very order and amount. Under the order's `lock`, the
    transaction writes only while the lock is still the caller's (else `LockLost`)."""
    now = services.clock()
    async with services.unit_of_work() as uow:
        if lock is not None:
            await lock.hold(uow)
        found = await uow.orders.get_with_payment(order_id)
        assert found is not None, "callers settle orders they found"
        order, payment = found
        settlement = await _apply(uow, order, payment, toss, now, source)
        # Every read of Toss's record is audited, whether or not it changed anything.
        await uow.events.append(
            PaymentEvent(
                order_id=order_id,
                event_type=event_type if settlement.changed else PaymentEventType.TOSS_RECORD_READ,
                created_at=now,
                payment_key=toss.payment_key,
                detail={
                    "source": source,
                    "toss_status": toss.status.value,
                    "from": order.status.value,
                    "to": settlement.order.status.value,
                    "note": settlement.note,
                },
            )
        )
    return settlement


async def _apply(
    uow: UnitOfWork,
    order: Order,
    payment_before: Payment | None,
    toss: TossPayment,
    now: datetime,
    source: str,
) -> Settlement:
    unchanged = Settlement(order, payment_before, changed=False, note="")
    if toss.order_id != order.order_id or toss.total_amount != order.amount:
        reason = "Toss's record names another order or amount"
        return await _flag(uow, order, reason, now, unchanged)
    bound = order.payment_key
    if bound is not None and bound != toss.payment_key:
        if toss.status in APPROVED_OR_ISSUED:
            # Two checkouts of one order approved at Toss: a double charge to refund by hand.
            reason = f"Toss approved checkout {toss.payment_key} besides the bound {bound}"
            return await _flag(uow, order, reason, now, unchanged)
        return dataclasses.replace(unchanged, note="an older checkout's record; nothing to do")

    if toss.status is TossPaymentStatus.WAITING_FOR_DEPOSIT and order.status in PAID_STATES:
        # Toss reverses a deposit that failed (DONE -> WAITING_FOR_DEPOSIT, toss-api.md §3.2):
        # money this order was counted as having never arrived.
        reason = "Toss reversed the virtual-account deposit of this paid order"
        return await _flag(uow, order, reason, now, unchanged)
    if (
        order.status is OrderStatus.WAITING_FOR_DEPOSIT
        and toss.approved_at is None
        and toss.status is TossPaymentStatus.CANCELED
    ):
        order = await close_unpaid_deposit(uow, order, toss, now)
    elif toss.status in APPROVED_OR_ISSUED:
        order = await _approve(uow, order, toss, now)
        if toss.status in CANCELED_AT_TOSS and order.status in PAID_STATES:
            order = await record_cancels(uow, order, toss, now)
    elif toss.status in NEVER_APPROVED and order.status is OrderStatus.CONFIRMING:
        # The row apply_toss_record writes next, in this transaction, records the change.
        order = await fail_claimed_checkout(
            uow, order, _failure_of(toss), now, payment_key=toss.payment_key
        )
    payment = await _payment_of(uow, order)
    changed = order != unchanged.order or payment != unchanged.payment
    note = f"{unchanged.order.status.value} -> {order.status.value}" if changed else "in line"
    if changed:
        log.info(
            "order settled from Toss's record",
            extra={"order_id": order.order_id, "source": source, "note": note},
        )
    return Settlement(order, payment, changed, note)


async def _payment_of(uow: UnitOfWork, order: Order) -> Payment | None:
    return (await uow.payments.get_many_by_order_id([order.order_id])).get(order.order_id)


async def _flag(
    uow: UnitOfWork, order: Order, reason: str, now: datetime, unchanged: Settlement
) -> Settlement:
    log.error("order needs an operator", extra={"order_id": order.order_id, "reason": reason})
    await uow.orders.flag_attention(order.order_id, reason=reason, now=now)
    return dataclasses.replace(
        unchanged, order=dataclasses.replace(order, attention=reason), changed=True, note=reason
    )


async def _approve(uow: UnitOfWork, order: Order, toss: TossPayment, now: datetime) -> Order:
    """Move an open order to PAID (or WAITING_FOR_DEPOSIT) with Toss's payment."""
    waiting = toss.status is TossPaymentStatus.WAITING_FOR_DEPOSIT
    if order.status in edge(OrderEvent.CONFIRM_CLAIMED).sources:
        # Approved at Toss without a claim here (a confirm made elsewhere): bind it first.
        if not await uow.orders.transition(
            order.order_id, OrderEvent.CONFIRM_CLAIMED, payment_key=toss.payment_key, now=now
        ):
            return await _current(uow, order)
        order = dataclasses.replace(
            order,
            status=edge(OrderEvent.CONFIRM_CLAIMED).target,
            payment_key=toss.payment_key,
            failure=None,
        )
    if order.status is OrderStatus.CONFIRMING:
        event = OrderEvent.ACCOUNT_ISSUED if waiting else OrderEvent.PAYMENT_APPROVED
    elif order.status is OrderStatus.WAITING_FOR_DEPOSIT and not waiting:
        event = OrderEvent.DEPOSIT_RECEIVED
    else:
        return order
    if not await uow.orders.transition(
        order.order_id, event, expected_payment_key=toss.payment_key, now=now
    ):
        # Someone else settled it first (on PostgreSQL, after this transaction's first read):
        # answer from what they committed.
        return await _current(uow, order)
    # The approval as it stood: cancels that follow are applied on top by record_cancels.
    approved = dataclasses.replace(
        payment_from_toss(order.order_id, toss),
        balance_amount=toss.total_amount,
        toss_status=TossPaymentStatus.WAITING_FOR_DEPOSIT if waiting else TossPaymentStatus.DONE,
    )
    await uow.payments.save(approved, now)
    return dataclasses.replace(order, status=edge(event).target, failure=None, updated_at=now)


async def close_unpaid_deposit(
    uow: UnitOfWork, order: Order, toss: TossPayment, now: datetime
) -> Order:
    """A virtual account canceled before any deposit: nothing was paid, nothing is refunded."""
    if not await uow.orders.transition(
        order.order_id, OrderEvent.ACCOUNT_CLOSED, expected_payment_key=toss.payment_key, now=now
    ):
        return order
    await uow.payments.remove(toss.payment_key)
    target = edge(OrderEvent.ACCOUNT_CLOSED).target
    return dataclasses.replace(order, status=target, updated_at=now)


def _failure_of(toss: TossPayment) -> Failure:
    """Why Toss's record shows a checkout failed: Toss's own `failure`, else its status."""
    failure = toss.failure
    return Failure(
        failure.code if failure else f"{toss.status.value}_PAYMENT",
        (failure.message if failure else "") or f"Toss reports the payment {toss.status.value}",
    )


@dataclass(frozen=True, slots=True)
class FailureAudit:
    """The audit row `fail_claimed_checkout` writes with the failure."""

    event_type: PaymentEventType
    detail: Mapping[str, object] = field(default_factory=dict)
    # False: written only when this call moved the order. True: written either way, its
    # detail saying whether it `applied` (Toss's refusal is news even when the order had
    # moved on already).
    even_if_not_applied: bool = False


async def fail_claimed_checkout(
    uow: UnitOfWork,
    order: Order,
    failure: Failure,
    now: datetime,
    *,
    payment_key: str | None,
    audit: FailureAudit | None = None,
) -> Order:
    """The one writer of CONFIRMING -> FAILED (`OrderEvent.CONFIRM_REFUSED`): the claimed
    checkout `payment_key` (when given, it must still be the order's) failed with `failure`.

    Writes `audit`'s row (see `FailureAudit`) in the caller's transaction, and returns the
    order as this call leaves it: failed, or `order` unchanged when it was no longer
    CONFIRMING with that checkout.
    """
    moved = await uow.orders.transition(
        order.order_id,
        OrderEvent.CONFIRM_REFUSED,
        expected_payment_key=payment_key,
        failure=failure,
        now=now,
    )
    if audit is not None and (moved or audit.even_if_not_applied):
        detail = dict(audit.detail)
        if audit.even_if_not_applied:
            detail["applied"] = moved
        await uow.events.append(
            PaymentEvent(
                order_id=order.order_id,
                event_type=audit.event_type,
                created_at=now,
                payment_key=payment_key,
                gateway_code=failure.code,
                detail=detail,
            )
        )
    if not moved:
        return order
    target = edge(OrderEvent.CONFIRM_REFUSED).target
    return dataclasses.replace(order, status=target, failure=failure, updated_at=now)


async def record_cancels(
    uow: UnitOfWork,
    order: Order,
    toss: TossPayment,
    now: datetime,
    own_request: CancelRequest | None = None,
) -> Order:
    """Record every cancel transaction Toss shows that is not recorded here, attribute them to
    pending cancel requests, and take the balance and status from Toss.

    With `own_request`, Toss's latest transaction is that request's.
    """
    payment = await _payment_of(uow, order)
    if payment is None:
        return order  # fully canceled already: the books are closed
    if toss.balance_amount > payment.balance_amount:
        # A record read before a cancel this service has since applied: older than the books.
        return order
    known = await uow.cancels.transaction_keys(order.order_id)
    new = [
        Cancel(
            transaction_key=entry.transaction_key,
            order_id=order.order_id,
            payment_key=payment.payment_key,
            buyer=order.buyer,
            order_name=order.order_name,
            cancel_amount=entry.cancel_amount,
            cancel_reason=entry.cancel_reason,
            canceled_at=entry.canceled_at.astimezone(UTC),
            raw=dict(entry.raw),
        )
        for entry in completed_cancels(toss)
        if entry.transaction_key not in known
    ]
    if not new and payment.balance_amount == toss.balance_amount:
        return order
    event = OrderEvent.FULLY_REFUNDED if toss.balance_amount == 0 else OrderEvent.PARTIALLY_REFUNDED
    # The order's move first: refused, the order is no longer the refundable one read above
    # (another settler moved it since), and nothing of Toss's record is booked against it; an
    # own request stays pending, for reconciliation to send again under its key.
    if not await uow.orders.transition(order.order_id, event, now=now):
        current = await _current(uow, order)
        log.warning(
            "cancels not booked: the order moved on before its refund was recorded",
            extra={"order_id": order.order_id, "status": current.status.value},
        )
        return current
    owners = await _attribute(uow, new, toss, own_request, now)
    for cancel in new:
        owner = owners.get(cancel.transaction_key)
        recorded = dataclasses.replace(cancel, idempotency_key=owner.client_key if owner else None)
        await uow.cancels.add(recorded, now)

    target = edge(event).target
    if target is OrderStatus.CANCELED:
        # The seed's rule: a fully canceled payment leaves the live table. What only that row
        # knew is written to the audit log first (no card data).
        await uow.events.append(
            PaymentEvent(
                order_id=order.order_id,
                event_type=PaymentEventType.PAYMENT_CLOSED,
                created_at=now,
                payment_key=payment.payment_key,
                detail=_payment_facts(payment),
            )
        )
        await uow.payments.remove(payment.payment_key)
    else:
        await uow.payments.save(payment_from_toss(order.order_id, toss), now)
    return dataclasses.replace(order, status=target, updated_at=now)


async def _attribute(
    uow: UnitOfWork,
    new: list[Cancel],
    toss: TossPayment,
    own_request: CancelRequest | None,
    now: datetime,
) -> dict[str, CancelRequest]:
    """With the request Toss just answered, its transaction (Toss's latest) is its own and the
    request succeeds. Without one, nothing is guessed: a pending request learns its outcome
    when it is sent again under its own Idempotency-Key."""
    if own_request is None or not new:
        return {}
    latest = toss.last_transaction_key
    ours = latest if latest is not None else new[-1].transaction_key
    await uow.cancel_requests.save(
        dataclasses.replace(
            own_request,
            status=CancelRequestStatus.SUCCEEDED,
            transaction_key=ours,
            updated_at=now,
        )
    )
    return {ours: own_request}


def completed_cancels(toss: TossPayment) -> list[TossCancel]:
    """The cancels Toss has carried out; an IN_PROGRESS or ABORTED one moved no money yet."""
    return [entry for entry in toss.cancels if entry.cancel_status is TossCancelStatus.DONE]


async def _current(uow: UnitOfWork, order: Order) -> Order:
    current = await uow.orders.get(order.order_id)
    assert current is not None, "orders are never deleted"
    return current


def _payment_facts(payment: Payment) -> dict[str, object]:
    return {
        "payment_key": payment.payment_key,
        "method": payment.method,
        "total_amount": payment.total_amount,
        "approved_at": payment.approved_at.isoformat() if payment.approved_at else None,
        "receipt_url": payment.receipt_url,
    }
