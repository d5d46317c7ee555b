"""Canceling a payment by buyer and order name (`cancel_payment`), fully or in part.

Toss's reply is the truth: the cancel rows come from its `cancels[]` and the balance from its
`balanceAmount`. Cancels of one order are serialized by a lock row in `orders`, so concurrent
partial cancels, in any number of processes, can never refund more than was paid; and each
request is stored with its Toss Idempotency-Key before Toss is asked, so a repeat never
refunds twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from . import validation
from .errors import DomainError, ErrorCode
from .gateway_port import (
    CREDENTIAL_ERRORS,
    GatewayRejected,
    GatewayTechnicalError,
    TossPayment,
)
from .models import (
    Cancel,
    CancelRequest,
    CancelRequestStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentEventType,
    Principal,
)
from .order_lock import OrderLock, order_lock
from .ports import UnitOfWork
from .services import Services
from .settlement import CANCELED_AT_TOSS, completed_cancels, record_cancels

log = logging.getLogger(__name__)

CANCELABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_CANCELED})
# How long a cancel waits for the one before it on the same order.
QUEUE_WAIT = timedelta(seconds=30)
# Toss processes one cancel per payment per second (FORBIDDEN_CONSECUTIVE_REQUEST).
CONSECUTIVE_GAP = timedelta(milliseconds=1100)
CONSECUTIVE_RETRIES = 3
# What each Toss refusal means to the caller (toss-api.md §4.4).
REFUSALS = {
    "NOT_CANCELABLE_AMOUNT": ErrorCode.CANCEL_AMOUNT_EXCEEDED,
    "FORBIDDEN_CONSECUTIVE_REQUEST": ErrorCode.CANCEL_IN_PROGRESS,
}


@dataclass(frozen=True, slots=True)
class CancelArguments:
    buyer: str
    order_name: str
    reason: str
    amount: int | None = None
    order_id: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class CancelResult:
    order: Order
    cancel: Cancel | None


@dataclass(frozen=True, slots=True)
class _Answered:
    """Toss's answer, with the request as stored when it was sent: its Idempotency-Key is the
    one Toss answered, and it carries `sent_at`, so the books record what was really sent."""

    request: CancelRequest
    toss: TossPayment


def _validated(args: CancelArguments) -> CancelArguments:
    if args.order_id is not None:
        validation.order_id(args.order_id)
    return CancelArguments(
        buyer=validation.buyer(args.buyer),
        order_name=validation.order_name(args.order_name),
        reason=validation.cancel_reason(args.reason),
        amount=validation.cancel_amount(args.amount),
        order_id=args.order_id,
        idempotency_key=validation.idempotency_key(args.idempotency_key),
    )


def toss_cancel_key(buyer: str, client_key: str | None) -> str:
    """The Idempotency-Key sent to Toss: derived from the client's key within its buyer, so
    two buyers' keys never meet at Toss; random when the client gave none."""
    if client_key is None:
        return f"cancel-{secrets.token_hex(16)}"
    digest = hashlib.sha256(json.dumps([buyer, client_key]).encode()).hexdigest()
    return f"cancel-{digest}"


async def cancel_payment(
    services: Services, principal: Principal, args: CancelArguments
) -> CancelResult:
    args = _validated(args)
    if not principal.may_access(args.buyer):
        raise DomainError(
            ErrorCode.FORBIDDEN, "a buyer may cancel only their own orders", field="buyer"
        )
    registered = await _register(services, args)
    if isinstance(registered, CancelResult):
        return registered
    return await _run(services, registered)


async def _register(services: Services, args: CancelArguments) -> CancelRequest | CancelResult:
    """Store the request (or find the earlier one with the same client key)."""
    now = services.clock()
    async with services.unit_of_work() as uow:
        if args.idempotency_key is not None:
            earlier = await uow.cancel_requests.get_by_client_key(args.buyer, args.idempotency_key)
            if earlier is not None:
                return await _repeat(uow, earlier, args)
        order, payment = await _find_cancelable(uow, args)
        if args.amount is not None and args.amount > payment.balance_amount:
            raise _exceeded(payment.balance_amount)
        request = CancelRequest(
            request_id=secrets.token_hex(16),
            buyer=args.buyer,
            order_name=args.order_name,
            reason=args.reason,
            requested_amount=args.amount,
            requested_order_id=args.order_id,
            client_key=args.idempotency_key,
            toss_idempotency_key=toss_cancel_key(args.buyer, args.idempotency_key),
            order_id=order.order_id,
            status=CancelRequestStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        if not await uow.cancel_requests.add(request):
            # The same client key, sent concurrently: the other request was stored first.
            assert args.idempotency_key is not None
            earlier = await uow.cancel_requests.get_by_client_key(args.buyer, args.idempotency_key)
            assert earlier is not None
            return await _repeat(uow, earlier, args)
        await _audit(uow, services, request, PaymentEventType.CANCEL_REQUESTED, amount=args.amount)
    return request


async def _repeat(
    uow: UnitOfWork, earlier: CancelRequest, args: CancelArguments
) -> CancelRequest | CancelResult:
    if not earlier.has_arguments(args.order_name, args.reason, args.amount, args.order_id):
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotencyKey was used with other arguments; use a new key",
            field="idempotencyKey",
        )
    if earlier.status is CancelRequestStatus.PENDING:
        return earlier  # its outcome is not known yet: drive it again, with the same Toss key
    return await _stored_outcome(uow, earlier)


async def _stored_outcome(uow: UnitOfWork, request: CancelRequest) -> CancelResult:
    if request.status is CancelRequestStatus.FAILED:
        raise DomainError(
            ErrorCode(request.error_code or ErrorCode.NOT_CANCELABLE),
            request.error_message or "the cancel was refused",
            gateway_code=request.gateway_code,
        )
    order = await uow.orders.get(request.order_id)
    assert order is not None, "orders are never deleted"
    cancel = await uow.cancels.get(request.transaction_key) if request.transaction_key else None
    return CancelResult(order, cancel)


async def _find_cancelable(uow: UnitOfWork, args: CancelArguments) -> tuple[Order, Payment]:
    named = await uow.orders.find_by_name(args.buyer, args.order_name)
    if args.order_id is not None:
        named = [order for order in named if order.order_id == args.order_id]
    if not named:
        raise DomainError(
            ErrorCode.ORDER_NOT_FOUND,
            f"{args.buyer!r} has no order named {args.order_name!r}",
            field="orderName",
        )
    cancelable = [order for order in named if order.status in CANCELABLE]
    if not cancelable:
        statuses = ", ".join(sorted({order.status.value for order in named}))
        raise DomainError(
            ErrorCode.NOT_CANCELABLE,
            f"no paid order named {args.order_name!r} (found: {statuses})",
            field="orderName",
        )
    if len(cancelable) > 1:
        candidates = ", ".join(order.order_id for order in cancelable)
        raise DomainError(
            ErrorCode.AMBIGUOUS_ORDER,
            f"several paid orders are named {args.order_name!r}: {candidates}; "
            "pass orderId to choose one",
            field="orderId",
        )
    order = cancelable[0]
    payments = await uow.payments.get_many_by_order_id([order.order_id])
    payment = payments.get(order.order_id)
    if payment is None:
        raise DomainError(ErrorCode.NOT_CANCELABLE, "the order has no payment in force")
    return order, payment


def _exceeded(balance: int) -> DomainError:
    return DomainError(
        ErrorCode.CANCEL_AMOUNT_EXCEEDED,
        f"amount is more than the cancelable balance of {balance} KRW",
        field="amount",
    )


async def _run(services: Services, request: CancelRequest) -> CancelResult:
    async with order_lock(services, request.order_id, wait=QUEUE_WAIT) as lock:
        if lock is None:
            raise DomainError(
                ErrorCode.CANCEL_IN_PROGRESS,
                "another cancel of this order is still running; try again shortly",
            )
        return await drive_locked(services, request, lock)


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
            return await _stored_outcome(uow, current)  # a concurrent repeat finished it
        request = current
        order = await uow.orders.get(request.order_id)
        assert order is not None, "orders are never deleted"
        payment = (await uow.payments.get_many_by_order_id([order.order_id])).get(order.order_id)
        last_canceled_at = await uow.cancels.last_canceled_at(order.order_id)
    if request.sent_at is None:
        if order.status not in CANCELABLE or payment is None:
            await _fail(
                services, request, DomainError(ErrorCode.NOT_CANCELABLE, "order is not paid")
            )
        if (
            request.requested_amount is not None
            and request.requested_amount > payment.balance_amount
        ):
            await _fail(services, request, _exceeded(payment.balance_amount))
    payment_key = payment.payment_key if payment else order.payment_key
    assert payment_key is not None, "a paid order has its payment key"

    if last_canceled_at is not None:
        wait = (last_canceled_at + CONSECUTIVE_GAP - services.clock()).total_seconds()
        if wait > 0:
            await services.sleep(wait)
    answered = await _ask_toss(
        services, request, payment_key, payment.balance_amount if payment else None, lock
    )
    return await _settle(services, answered, order, payment, lock)


async def _ask_toss(
    services: Services,
    request: CancelRequest,
    payment_key: str,
    balance: int | None,
    lock: OrderLock,
) -> _Answered:
    for attempt in range(CONSECUTIVE_RETRIES + 1):
        request = await _mark_sent(services, request, lock)
        try:
            toss = await services.gateway.cancel(
                payment_key=payment_key,
                cancel_reason=request.reason,
                cancel_amount=request.requested_amount,
                refundable_amount=balance,
                idempotency_key=request.toss_idempotency_key,
            )
            return _Answered(request, toss)
        except GatewayRejected as rejection:
            if rejection.code == "FORBIDDEN_CONSECUTIVE_REQUEST" and attempt < CONSECUTIVE_RETRIES:
                # Toss did not act, and would replay this refusal for the same key: wait the
                # second out and ask again under a new key, stored before it is used.
                request = await _new_toss_key(services, request)
                await services.sleep(CONSECUTIVE_GAP.total_seconds())
                continue
            await _fail(services, request, _refusal(rejection))
        except GatewayTechnicalError as error:
            log.warning(
                "cancel outcome unknown; the request stays pending",
                extra={"order_id": request.order_id, "reason": str(error)},
            )
            async with services.unit_of_work() as uow:
                await _audit(
                    uow,
                    services,
                    request,
                    PaymentEventType.CANCEL_OUTCOME_UNKNOWN,
                    reason=str(error),
                )
            raise DomainError(
                ErrorCode.PAYMENT_PENDING,
                "the cancel's outcome is not known yet; repeat it with the same "
                "idempotencyKey, or poll the order",
            ) from None
    raise AssertionError("the loop returns or raises")


async def _mark_sent(services: Services, request: CancelRequest, lock: OrderLock) -> CancelRequest:
    """Before each Toss call: stamp the lock, so its lease counts from this call, and record
    that the request may now exist at Toss, in one transaction."""
    now = services.clock()
    async with services.unit_of_work() as uow:
        if not await lock.renew(uow):
            raise DomainError(ErrorCode.CANCEL_IN_PROGRESS, "the order's lock was lost; try again")
        if request.sent_at is None:
            request = dataclasses.replace(request, sent_at=now, updated_at=now)
            await uow.cancel_requests.save(request)
    return request


async def _new_toss_key(services: Services, request: CancelRequest) -> CancelRequest:
    """The next key after a refusal Toss would replay: `<base>.1`, `<base>.2`, ... counting on
    from the current one, so a later repeat never reuses a key whose refusal Toss keeps."""
    base, _, tried = request.toss_idempotency_key.partition(".")
    renewed = dataclasses.replace(
        request,
        toss_idempotency_key=f"{base}.{int(tried or 0) + 1}",
        updated_at=services.clock(),
    )
    async with services.unit_of_work() as uow:
        await uow.cancel_requests.save(renewed)
    return renewed


def _refusal(rejection: GatewayRejected) -> DomainError:
    if rejection.code in CREDENTIAL_ERRORS:
        log.error("Toss refused this service's credentials", extra={"gateway_code": rejection.code})
        return DomainError(
            ErrorCode.GATEWAY_UNAVAILABLE,
            "the payment gateway is not available; try again later",
            gateway_code=rejection.code,
        )
    code = REFUSALS.get(rejection.code, ErrorCode.NOT_CANCELABLE)
    return DomainError(code, rejection.message, gateway_code=rejection.code)


async def _fail(services: Services, request: CancelRequest, error: DomainError) -> NoReturn:
    """Record the refusal on the request (a repeat gets the same answer), then raise it."""
    failed = dataclasses.replace(
        request,
        status=CancelRequestStatus.FAILED,
        error_code=error.code.value,
        error_message=error.message,
        gateway_code=error.gateway_code,
        updated_at=services.clock(),
    )
    async with services.unit_of_work() as uow:
        await uow.cancel_requests.save(failed)
        await _audit(
            uow,
            services,
            failed,
            PaymentEventType.CANCEL_REFUSED,
            gateway_code=error.gateway_code,
            code=error.code.value,
        )
    raise error


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


def _transaction_of(toss: TossPayment) -> str | None:
    """The transaction Toss's answer to a cancel is about: its latest one."""
    if toss.last_transaction_key is not None:
        return toss.last_transaction_key
    done = completed_cancels(toss)
    return done[-1].transaction_key if done else None


async def _settle(
    services: Services,
    answered: _Answered,
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
            await _audit(uow, services, done, PaymentEventType.CANCEL_APPROVED, replayed=True)
            settled = await uow.orders.get(order.order_id)
            assert settled is not None
            return CancelResult(settled, await uow.cancels.get(ours))
        problems = _disagreements(order, payment, toss, known)
        if problems or payment is None:
            log.error(
                "Toss's cancel reply disagrees with the books; left pending for reconciliation",
                extra={"order_id": order.order_id, "fields": problems},
            )
            await _audit(
                uow, services, request, PaymentEventType.CANCEL_REPLY_MISMATCH, fields=problems
            )
            # Raised once the block has committed: raised inside it, the audit row would be
            # rolled back with it.
            outcome: CancelResult | DomainError = DomainError(
                ErrorCode.PAYMENT_PENDING,
                "the cancel's outcome could not be confirmed yet; poll the order",
            )
        else:
            outcome = await _record(uow, services, request, order, payment, toss, now)
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
) -> CancelResult:
    """Book the cancel Toss carried out for `request`, which succeeds with it."""
    settled = await record_cancels(uow, order, toss, now, own_request=request)
    recorded = await uow.cancel_requests.get(request.request_id)
    assert recorded is not None
    key = recorded.transaction_key
    cancel = await uow.cancels.get(key) if key else None
    await _audit(
        uow,
        services,
        recorded,
        PaymentEventType.CANCEL_APPROVED,
        amount=payment.balance_amount - toss.balance_amount,
        balance=toss.balance_amount,
        toss_status=toss.status.value,
    )
    return CancelResult(settled, cancel)


async def _audit(
    uow: UnitOfWork,
    services: Services,
    request: CancelRequest,
    event_type: PaymentEventType,
    *,
    gateway_code: str | None = None,
    **detail: object,
) -> None:
    await uow.events.append(
        PaymentEvent(
            order_id=request.order_id,
            event_type=event_type,
            created_at=services.clock(),
            gateway_code=gateway_code,
            detail={"request_id": request.request_id, **detail},
        )
    )
