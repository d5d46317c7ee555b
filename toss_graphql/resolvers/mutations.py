"""Mutation resolvers: expected refusals become payload errors, never GraphQL errors."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from ..domain import cancel, confirm, orders
from ..domain.errors import DomainError, ErrorCode
from ..domain.models import Principal
from ..schema.context import Context
from ..schema.types import (
    Cancel,
    CancelPaymentPayload,
    ConfirmPaymentPayload,
    CreateOrderInput,
    CreateOrderPayload,
    FailPaymentPayload,
    Order,
    Payment,
    PaymentError,
    RefundReceiveAccountInput,
)

# Refusals after which the order itself is worth showing (its current status, its failure).
_SHOWS_ORDER = frozenset(
    {
        ErrorCode.AMOUNT_MISMATCH,
        ErrorCode.ALREADY_PAID,
        ErrorCode.CONFIRM_IN_PROGRESS,
        ErrorCode.PAYMENT_PENDING,
        ErrorCode.PAYMENT_REJECTED,
        ErrorCode.INVALID_STATE,
        ErrorCode.GATEWAY_UNAVAILABLE,
        ErrorCode.NOT_CANCELABLE,
        ErrorCode.CANCEL_AMOUNT_EXCEEDED,
        ErrorCode.CANCEL_IN_PROGRESS,
    }
)


async def _order_after(
    info: Info[Context, None], principal: Principal, order_id: str, error: DomainError
) -> Order | None:
    if error.code not in _SHOWS_ORDER:
        return None
    found = await orders.get_order(info.context.services, principal, order_id)
    return Order.from_domain(found) if found else None


async def create_order(info: Info[Context, None], input: CreateOrderInput) -> CreateOrderPayload:
    principal = info.context.require_principal()
    if refused := await info.context.throttle():
        return CreateOrderPayload(order=None, errors=[PaymentError.from_domain(refused)])
    request = orders.CreateOrderRequest(
        lines=[orders.LineRequest(line.sku, line.quantity) for line in input.lines]
        if input.lines is not None
        else None,
        order_name=input.order_name,
        amount=input.amount,
        buyer=input.buyer,
        checkout=input.checkout,
    )
    try:
        created = await orders.create_order(info.context.services, principal, request)
    except DomainError as error:
        return CreateOrderPayload(order=None, errors=[PaymentError.from_domain(error)])
    return CreateOrderPayload(order=Order.from_domain(created), errors=[])


async def confirm_payment(
    info: Info[Context, None], payment_key: str, order_id: strawberry.ID, amount: int
) -> ConfirmPaymentPayload:
    principal = info.context.require_principal()
    if refused := await info.context.throttle():
        return ConfirmPaymentPayload(
            order=None, payment=None, errors=[PaymentError.from_domain(refused)]
        )
    try:
        result = await confirm.confirm_payment(
            info.context.services,
            principal,
            payment_key=payment_key,
            order_id=str(order_id),
            amount=amount,
        )
    except DomainError as error:
        return ConfirmPaymentPayload(
            order=await _order_after(info, principal, str(order_id), error),
            payment=None,
            errors=[PaymentError.from_domain(error)],
        )
    return ConfirmPaymentPayload(
        order=Order.from_domain(result.order),
        payment=Payment.from_domain(result.payment) if result.payment else None,
        errors=[],
    )


async def fail_payment(
    info: Info[Context, None], order_id: strawberry.ID, code: str, message: str | None = None
) -> FailPaymentPayload:
    principal = info.context.require_principal()
    if refused := await info.context.throttle():
        return FailPaymentPayload(order=None, errors=[PaymentError.from_domain(refused)])
    try:
        failed = await confirm.fail_payment(
            info.context.services, principal, order_id=str(order_id), code=code, message=message
        )
    except DomainError as error:
        return FailPaymentPayload(
            order=await _order_after(info, principal, str(order_id), error),
            errors=[PaymentError.from_domain(error)],
        )
    return FailPaymentPayload(order=Order.from_domain(failed), errors=[])


async def cancel_payment(
    info: Info[Context, None],
    buyer: str,
    order_name: str,
    reason: str,
    amount: int | None = None,
    order_id: strawberry.ID | None = None,
    idempotency_key: str | None = None,
    refund_receive_account: RefundReceiveAccountInput | None = None,
) -> CancelPaymentPayload:
    principal = info.context.require_principal()
    if refused := await info.context.throttle():
        return CancelPaymentPayload(
            order=None, cancel=None, errors=[PaymentError.from_domain(refused)]
        )
    arguments = cancel.CancelArguments(
        buyer=buyer,
        order_name=order_name,
        reason=reason,
        amount=amount,
        order_id=str(order_id) if order_id is not None else None,
        idempotency_key=idempotency_key,
        refund_account=refund_receive_account.to_domain() if refund_receive_account else None,
    )
    try:
        result = await cancel.cancel_payment(info.context.services, principal, arguments)
    except DomainError as error:
        return CancelPaymentPayload(
            order=await _order_after(info, principal, str(order_id), error)
            if order_id is not None
            else None,
            cancel=None,
            errors=[PaymentError.from_domain(error)],
        )
    return CancelPaymentPayload(
        order=Order.from_domain(result.order),
        cancel=Cancel.from_domain(result.cancel) if result.cancel else None,
        errors=[],
    )
