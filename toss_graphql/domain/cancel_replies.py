"""Settling Toss's answer to a cancel: the books take Toss's cancels and balance, once, and
only while the cancel still holds the order's lock; an answer that disagrees with the books
is audited and left to reconciliation."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

from .alignment import CANCELED_AT_TOSS, close_unpaid_deposit, completed_cancels, record_cancels
from .cancel_calls import Answered
from .cancel_requests import CancelResult, audit
from .errors import DomainError, ErrorCode
from .models import (
    CancelRequest,
    CancelRequestStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentEventType,
)
from .order_lock import OrderLock
from .ports.gateway import TossPayment, TossPaymentStatus
from .ports.storage import UnitOfWork
from .services import Services

log = logging.getLogger(__name__)


def _disagreements(
    order: Order, payment: Payment | None, toss: TossPayment, known: set[str]
) -> list[str]:
    if toss.order_id != order.order_id:
        return ["orderId"]
    if payment is None:
        return ["balanceAmount"]  # the books are closed, and this answer is not in them
    canceled_now = sum(
        entry.cancel_amount
        for entry in completed_cancels(toss)
        if entry.transaction_key not in known
    )
    problems = []
    if not 0 <= toss.balance_amount < payment.balance_amount:
        problems.append("balanceAmount")
    if canceled_now != payment.balance_amount - toss.balance_amount:
        problems.append("cancels")
    if toss.status not in CANCELED_AT_TOSS:
        problems.append("status")
    return problems


def _unclosed(order: Order, toss: TossPayment) -> list[str]:
    """Why Toss's answer does not show the waiting account closed, unpaid."""
    if toss.order_id != order.order_id:
        return ["orderId"]
    problems = []
    if toss.status is not TossPaymentStatus.CANCELED:
        problems.append("status")
    if toss.approved_at is not None:
        problems.append("approvedAt")  # paid into after all: a refund, not a closing
    return problems


async def _close(
    uow: UnitOfWork,
    services: Services,
    request: CancelRequest,
    order: Order,
    toss: TossPayment,
    now: datetime,
) -> CancelResult:
    """Toss closed a virtual account before any deposit: no money moved, so nothing is
    refunded and no cancel enters the books; the order is CANCELED, as the webhook path
    leaves it (alignment.close_unpaid_deposit), and the request succeeds with Toss's
    transaction."""
    closed = await close_unpaid_deposit(uow, order, toss, now)
    done = dataclasses.replace(
        request,
        status=CancelRequestStatus.SUCCEEDED,
        transaction_key=_transaction_of(toss),
        updated_at=now,
    )
    await uow.cancel_requests.save(done)
    await audit(uow, services, done, PaymentEventType.CANCEL_APPROVED, closed_unpaid=True)
    log.info("virtual account closed before its deposit", extra={"order_id": order.order_id})
    return CancelResult(closed, None)


def _transaction_of(toss: TossPayment) -> str | None:
    """The transaction Toss's answer to a cancel is about: its latest one."""
    if toss.last_transaction_key is not None:
        return toss.last_transaction_key
    done = completed_cancels(toss)
    return done[-1].transaction_key if done else None


async def settle_reply(
    services: Services,
    answered: Answered,
    order: Order,
    payment: Payment | None,
    lock: OrderLock,
) -> CancelResult:
    request, toss = answered.request, answered.toss
    now = services.clock()
    ours = _transaction_of(toss)
    async with services.unit_of_work() as uow:
        # The books are written only while this call still holds the order's lock.
        if not await lock.renew(uow):
            raise DomainError(ErrorCode.PAYMENT_PENDING, "the cancel is being settled elsewhere")
        known = await uow.cancels.transaction_keys(order.order_id)
        if ours is not None and ours in known:
            # Toss answered again what it answered before (a repeat under the same key), and
            # that cancel is already in the books: this request is the one that made it.
            done = dataclasses.replace(
                request, status=CancelRequestStatus.SUCCEEDED, transaction_key=ours, updated_at=now
            )
            await uow.cancel_requests.save(done)
            await audit(uow, services, done, PaymentEventType.CANCEL_APPROVED, replayed=True)
            settled = await uow.orders.get(order.order_id)
            assert settled is not None
            return CancelResult(settled, await uow.cancels.get(ours))
        if order.status is OrderStatus.WAITING_FOR_DEPOSIT:
            problems = _unclosed(order, toss)
            if not problems:
                return await _close(uow, services, request, order, toss, now)
        else:
            problems = _disagreements(order, payment, toss, known)
        if problems or payment is None:
            log.error(
                "Toss's cancel reply disagrees with the books; left pending for reconciliation",
                extra={"order_id": order.order_id, "fields": problems},
            )
            await audit(
                uow, services, request, PaymentEventType.CANCEL_REPLY_MISMATCH, fields=problems
            )
            # Raised once the block has committed: raised inside it, the audit row would be
            # rolled back with it.
            outcome: CancelResult | DomainError = DomainError(
                ErrorCode.PAYMENT_PENDING,
                "the cancel's outcome could not be confirmed yet; poll the order",
            )
        else:
            booked = await _record(uow, services, request, order, payment, toss, now)
            outcome = booked or DomainError(
                ErrorCode.PAYMENT_PENDING,
                "the cancel's outcome could not be recorded yet; poll the order",
            )
    if isinstance(outcome, DomainError):
        raise outcome
    log.info("payment canceled", extra={"order_id": order.order_id, "balance": toss.balance_amount})
    return outcome


async def _record(
    uow: UnitOfWork,
    services: Services,
    request: CancelRequest,
    order: Order,
    payment: Payment,
    toss: TossPayment,
    now: datetime,
) -> CancelResult | None:
    """Book the cancel Toss carried out for `request`, which succeeds with it; None when the
    books refused it (the order moved on), the request left pending."""
    settled = await record_cancels(uow, order, toss, now, own_request=request)
    recorded = await uow.cancel_requests.get(request.request_id)
    assert recorded is not None
    if recorded.status is not CancelRequestStatus.SUCCEEDED:
        return None
    key = recorded.transaction_key
    cancel = await uow.cancels.get(key) if key else None
    await audit(
        uow,
        services,
        recorded,
        PaymentEventType.CANCEL_APPROVED,
        amount=payment.balance_amount - toss.balance_amount,
        balance=toss.balance_amount,
        toss_status=toss.status.value,
    )
    return CancelResult(settled, cancel)
