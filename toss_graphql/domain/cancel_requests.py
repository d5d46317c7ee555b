"""A cancel request as stored: its arguments, the Idempotency-Key it sends to Toss, and the
answer a repeat of it gets.

Each cancelPayment call is stored with its Toss Idempotency-Key before Toss is asked, so a
repeat with the same client key never refunds twice: it gets the first request's outcome, or
drives the same request on under the same Toss key while its outcome is unknown.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import NoReturn

from . import validation
from .errors import DomainError, ErrorCode
from .models import (
    Cancel,
    CancelRequest,
    CancelRequestStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentEventType,
)
from .ports.gateway import RefundAccount
from .ports.storage import UnitOfWork
from .services import Services

# A paid order is refunded; a virtual account still waiting for its deposit is closed, whole
# (toss-api.md §2.4: before the deposit only a full cancel is possible).
REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_CANCELED})
CANCELABLE = REFUNDABLE | {OrderStatus.WAITING_FOR_DEPOSIT}


@dataclass(frozen=True, slots=True)
class CancelArguments:
    buyer: str
    order_name: str
    reason: str
    amount: int | None = None
    order_id: str | None = None
    idempotency_key: str | None = None
    refund_account: RefundAccount | None = None


@dataclass(frozen=True, slots=True)
class CancelResult:
    order: Order
    cancel: Cancel | None


def validated(args: CancelArguments) -> CancelArguments:
    if args.order_id is not None:
        validation.order_id(args.order_id)
    return CancelArguments(
        buyer=validation.buyer(args.buyer),
        order_name=validation.order_name(args.order_name),
        reason=validation.cancel_reason(args.reason),
        amount=validation.cancel_amount(args.amount),
        order_id=args.order_id,
        idempotency_key=validation.idempotency_key(args.idempotency_key),
        refund_account=_validated_account(args.refund_account),
    )


def _validated_account(account: RefundAccount | None) -> RefundAccount | None:
    if account is None:
        return None
    return validation.refund_account(account.bank, account.account_number, account.holder_name)


def toss_cancel_key(buyer: str, client_key: str | None) -> str:
    """The Idempotency-Key sent to Toss: derived from the client's key within its buyer, so
    two buyers' keys never meet at Toss; random when the client gave none."""
    if client_key is None:
        return f"cancel-{secrets.token_hex(16)}"
    digest = hashlib.sha256(json.dumps([buyer, client_key]).encode()).hexdigest()
    return f"cancel-{digest}"


async def register(services: Services, args: CancelArguments) -> CancelRequest | CancelResult:
    """Store the request (or find the earlier one with the same client key)."""
    now = services.clock()
    async with services.unit_of_work() as uow:
        if args.idempotency_key is not None:
            earlier = await uow.cancel_requests.get_by_client_key(args.buyer, args.idempotency_key)
            if earlier is not None:
                return await _repeat(uow, earlier, args)
        order, payment = await _find_cancelable(uow, args)
        if args.amount is not None and args.amount > payment.balance_amount:
            raise exceeded(payment.balance_amount)
        if order.status is OrderStatus.WAITING_FOR_DEPOSIT and args.amount is not None:
            raise DomainError(
                ErrorCode.NOT_CANCELABLE,
                "a virtual account not yet paid into is closed whole: leave out amount",
                field="amount",
            )
        refund_account = _refund_account_for(order, payment, args.refund_account)
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
            refund_account_masked=refund_account.masked if refund_account else None,
            refund_account_digest=refund_account.digest if refund_account else None,
            refund_account=refund_account,
        )
        if not await uow.cancel_requests.add(request):
            # The same client key, sent concurrently: the other request was stored first.
            assert args.idempotency_key is not None
            earlier = await uow.cancel_requests.get_by_client_key(args.buyer, args.idempotency_key)
            assert earlier is not None
            return await _repeat(uow, earlier, args)
        await audit(
            uow,
            services,
            request,
            PaymentEventType.CANCEL_REQUESTED,
            amount=args.amount,
            refund_account=request.refund_account_masked,
        )
    return request


def _refund_account_for(
    order: Order, payment: Payment, named: RefundAccount | None
) -> RefundAccount | None:
    """The account a cancel of `payment` refunds to. Toss refunds a deposited virtual account
    to a bank account it is told, and every other payment the way it was paid, reading no
    account (toss-api.md §2.4): without one the cancel is refused here, before Toss is asked
    and before anything is stored; for any other payment a named account is not sent. An
    account still waiting for its deposit holds no money: it is closed, with no account."""
    if payment.virtual_account is None or order.status not in REFUNDABLE:
        return None
    if named is None:
        raise DomainError(
            ErrorCode.REFUND_ACCOUNT_REQUIRED,
            "a deposited virtual account is refunded to a bank account: pass "
            "refundReceiveAccount { bank accountNumber holderName }",
            field="refundReceiveAccount",
        )
    return named


async def _repeat(
    uow: UnitOfWork, earlier: CancelRequest, args: CancelArguments
) -> CancelRequest | CancelResult:
    digest = args.refund_account.digest if args.refund_account else None
    named_alike = earlier.has_arguments(
        args.order_name, args.reason, args.amount, args.order_id, digest
    )
    # The first call may have dropped an account its payment reads nothing from.
    if not named_alike and earlier.refund_account_digest is None:
        named_alike = earlier.has_arguments(
            args.order_name, args.reason, args.amount, args.order_id, None
        )
    if not named_alike:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotencyKey was used with other arguments; use a new key",
            field="idempotencyKey",
        )
    if earlier.status is CancelRequestStatus.PENDING:
        # Its outcome is not known yet: drive it again, with the same Toss key, and the
        # account this call names again (the books keep it masked only).
        account = args.refund_account if earlier.refund_account_digest is not None else None
        return dataclasses.replace(earlier, refund_account=account)
    return await stored_outcome(uow, earlier)


async def stored_outcome(uow: UnitOfWork, request: CancelRequest) -> CancelResult:
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
            named = await _named_before_nfc(uow, args, args.order_id)
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


async def _named_before_nfc(uow: UnitOfWork, args: CancelArguments, order_id: str) -> list[Order]:
    """The order `order_id` when its name was stored before names were kept in NFC, in a form
    no lookup by name finds (partly decomposed, or with a format character in it), and looks
    like the name asked for (docs/architecture.md §2)."""
    order = await uow.orders.get(order_id)
    if order is None or order.buyer != args.buyer:
        return []
    alike = validation.name_likeness(order.order_name) == validation.name_likeness(args.order_name)
    return [order] if alike else []


def exceeded(balance: int) -> DomainError:
    return DomainError(
        ErrorCode.CANCEL_AMOUNT_EXCEEDED,
        f"amount is more than the cancelable balance of {balance} KRW",
        field="amount",
    )


async def fail(services: Services, request: CancelRequest, error: DomainError) -> NoReturn:
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
        await audit(
            uow,
            services,
            failed,
            PaymentEventType.CANCEL_REFUSED,
            gateway_code=error.gateway_code,
            code=error.code.value,
        )
    raise error


async def audit(
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
