"""Canceling a payment by buyer and order name (`cancel_payment`), fully or in part.

Toss's reply is the truth: the cancel rows come from its `cancels[]` and the balance from its
`balanceAmount`. Cancels of one order are serialized by a lock row in `orders`, so concurrent
partial cancels, in any number of processes, can never refund more than was paid; and each
request is stored with its Toss Idempotency-Key before Toss is asked, so a repeat never
refunds twice. The steps live apart: the stored request (`cancel_requests`), the call to Toss
and its one-per-second rule (`cancel_calls`), and settling the answer (`cancel_replies`).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from .cancel_calls import ask_toss, wait_for_the_gap
from .cancel_replies import settle_reply
from .cancel_requests import (
    CANCELABLE,
    CancelArguments,
    CancelResult,
    exceeded,
    fail,
    register,
    stored_outcome,
    validated,
)
from .errors import DomainError, ErrorCode
from .models import CancelRequest, CancelRequestStatus, Principal
from .order_lock import OrderLock, Waiting, order_lock
from .services import Services

__all__ = ["CancelArguments", "CancelResult", "cancel_payment", "drive_locked"]

# How long a cancel waits for the one before it on the same order.
QUEUE_WAIT = timedelta(seconds=30)


async def cancel_payment(
    services: Services, principal: Principal, args: CancelArguments
) -> CancelResult:
    args = validated(args)
    if not principal.may_access(args.buyer):
        raise DomainError(
            ErrorCode.FORBIDDEN, "a buyer may cancel only their own orders", field="buyer"
        )
    registered = await register(services, args)
    if isinstance(registered, CancelResult):
        return registered
    return await _run(services, registered)


async def _run(services: Services, request: CancelRequest) -> CancelResult:
    waiting = _signs_of_life(services, request)
    async with order_lock(services, request.order_id, wait=QUEUE_WAIT, waiting=waiting) as lock:
        if lock is None:
            raise DomainError(
                ErrorCode.CANCEL_IN_PROGRESS,
                "another cancel of this order is still running; try again shortly",
            )
        return await drive_locked(services, request, lock)


def _signs_of_life(services: Services, request: CancelRequest) -> Waiting:
    """While this call waits for the order's lock, the request is re-stamped every quarter
    lease: the reconciler leaves a request stamped within the lease to its caller, and fails
    only one whose caller is gone (reconcile._settle_pending_cancels)."""
    last = request.updated_at

    async def stamp() -> None:
        nonlocal last
        now = services.clock()
        if now - last < services.lock_lease / 4:
            return
        async with services.unit_of_work() as uow:
            await uow.cancel_requests.touch(request.request_id, now)
        last = now

    return stamp


async def drive_locked(services: Services, request: CancelRequest, lock: OrderLock) -> CancelResult:
    """Carry a pending request through Toss while holding the order's `lock`.

    A request never sent is checked against the books first. One already sent may have been
    carried out at Toss whatever the books say now, so it goes straight back to Toss under
    its own Idempotency-Key: Toss answers its first answer again, or carries it out once.
    """
    async with services.unit_of_work() as uow:
        current = await uow.cancel_requests.get(request.request_id)
        assert current is not None
        if current.status is not CancelRequestStatus.PENDING:
            return await stored_outcome(uow, current)  # a concurrent repeat finished it
        # The stored request, with the account this call named (never stored whole).
        request = dataclasses.replace(current, refund_account=request.refund_account)
        order = await uow.orders.get(request.order_id)
        assert order is not None, "orders are never deleted"
        payment = (await uow.payments.get_many_by_order_id([order.order_id])).get(order.order_id)
        last_canceled_at = await uow.cancels.last_canceled_at(order.order_id)
    if request.sent_at is None:
        if order.status not in CANCELABLE or payment is None:
            await fail(
                services, request, DomainError(ErrorCode.NOT_CANCELABLE, "order is not paid")
            )
        if (
            request.requested_amount is not None
            and request.requested_amount > payment.balance_amount
        ):
            await fail(services, request, exceeded(payment.balance_amount))
    payment_key = payment.payment_key if payment else order.payment_key
    assert payment_key is not None, "a paid order has its payment key"

    await wait_for_the_gap(services, last_canceled_at)
    answered = await ask_toss(
        services,
        request,
        payment_key,
        payment.balance_amount if payment else None,
        lock,
        order.checkout,
    )
    return await settle_reply(services, answered, order, payment, lock)
