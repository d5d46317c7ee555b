"""Approving a checkout (`confirm_payment`) and recording a failed one (`fail_payment`).

As docs/architecture.md §3 has it: the amount is checked against the stored order before any
call to Toss; one conditional UPDATE claims the order so exactly one confirm reaches Toss;
Toss's answer is cross-checked before the order is marked paid; an unknown outcome is never
guessed.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime

from . import validation
from .alignment import NEVER_APPROVED, FailureAudit, apply_toss_record, fail_claimed_checkout
from .errors import DomainError, ErrorCode, invalid_input, order_not_found
from .models import (
    Failure,
    Order,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentEventType,
    Principal,
)
from .ports.gateway import (
    CREDENTIAL_ERRORS,
    GatewayRejected,
    GatewayTechnicalError,
    TossPayment,
    TossPaymentStatus,
)
from .ports.storage import UnitOfWork
from .services import Services
from .state_machine import PAID_STATES, OrderEvent, edge

log = logging.getLogger(__name__)

# Toss's answers to a confirm that settle it: approved, or a virtual account issued.
SETTLES_A_CONFIRM = frozenset({TossPaymentStatus.DONE, TossPaymentStatus.WAITING_FOR_DEPOSIT})
CONFIRMED_STATES = PAID_STATES | {OrderStatus.WAITING_FOR_DEPOSIT}


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    order: Order
    payment: Payment | None


@dataclass(frozen=True, slots=True)
class _Refused:
    error: DomainError


async def confirm_payment(
    services: Services, principal: Principal, *, payment_key: str, order_id: str, amount: int
) -> ConfirmResult:
    validation.payment_key(payment_key)
    validation.order_id(order_id)
    if not 1 <= amount <= validation.MAX_AMOUNT:
        raise invalid_input("amount", f"amount must be between 1 and {validation.MAX_AMOUNT} KRW")

    claim = await _claim(services, principal, payment_key, order_id, amount)
    if isinstance(claim, _Refused):
        raise claim.error
    if isinstance(claim, ConfirmResult):
        return claim
    return await _confirm_at_toss(services, claim, payment_key)


async def _claim(
    services: Services, principal: Principal, payment_key: str, order_id: str, amount: int
) -> Order | ConfirmResult | _Refused:
    """Decide whether this call may confirm at Toss.

    The common case, a new checkout of a claimable order, reads the order on the read path
    and claims it in a transaction of two statements: the claim's UPDATE requires the very
    status that was read, so it is the same decision the full path makes, and a claim lost
    to another caller meanwhile goes the full path. Refusals are returned rather than raised
    so that the audit line of a tamper attempt is committed.
    """
    seen = await services.reads.order(order_id)
    if seen is not None and principal.may_access(seen.buyer) and amount == seen.amount:
        claimed = await _claim_as_seen(services, seen, payment_key)
        if claimed is not None:
            return claimed
    return await _claim_in_transaction(services, principal, payment_key, order_id, amount)


async def _claim_as_seen(services: Services, seen: Order, payment_key: str) -> Order | None:
    """Claim `seen` if it still has the status it was read with; None when it has not, or
    when that status is not one a claim may leave."""
    if seen.status not in edge(OrderEvent.CONFIRM_CLAIMED).sources:
        return None
    now = services.clock()
    async with services.unit_of_work() as uow:
        claimed = await uow.orders.transition(
            seen.order_id,
            OrderEvent.CONFIRM_CLAIMED,
            payment_key=payment_key,
            expected_status=seen.status,
            now=now,
        )
        if not claimed:
            return None
        await _audit_confirm(
            uow,
            seen,
            PaymentEventType.CONFIRM_CLAIMED,
            services,
            payment_key,
            previous_status=seen.status.value,
        )
    return _claimed(seen, payment_key, now)


async def _claim_in_transaction(
    services: Services, principal: Principal, payment_key: str, order_id: str, amount: int
) -> Order | ConfirmResult | _Refused:
    """Decide, in one transaction that reads the order first, whether this call may confirm."""
    now = services.clock()
    async with services.unit_of_work() as uow:
        order = await uow.orders.get(order_id)
        if order is None or not principal.may_access(order.buyer):
            return _Refused(order_not_found(order_id))
        if amount != order.amount:
            log.warning(
                "confirm refused: amount differs from the stored order (possible tampering)",
                extra={"order_id": order_id, "claimed": amount, "stored": order.amount},
            )
            await _audit_confirm(
                uow,
                order,
                PaymentEventType.AMOUNT_TAMPER_REFUSED,
                services,
                payment_key,
                claimed_amount=amount,
                stored_amount=order.amount,
            )
            return _Refused(
                DomainError(
                    ErrorCode.AMOUNT_MISMATCH,
                    "amount does not match the order",
                    field="amount",
                )
            )
        # Two rounds: a lost claim re-reads the order and answers from what the winner wrote.
        for _ in range(2):
            if order.status in CONFIRMED_STATES:
                if order.payment_key == payment_key:
                    payments = await uow.payments.get_many_by_order_id([order_id])
                    return ConfirmResult(order, payments.get(order_id))
                return _Refused(
                    DomainError(ErrorCode.ALREADY_PAID, "order is already paid", field="orderId")
                )
            if order.status is OrderStatus.CONFIRMING:
                return _Refused(_in_progress())
            claimed = await uow.orders.transition(
                order_id, OrderEvent.CONFIRM_CLAIMED, payment_key=payment_key, now=now
            )
            if claimed:
                await _audit_confirm(
                    uow,
                    order,
                    PaymentEventType.CONFIRM_CLAIMED,
                    services,
                    payment_key,
                    previous_status=order.status.value,
                )
                return _claimed(order, payment_key, now)
            reread = await uow.orders.get(order_id)
            assert reread is not None, "orders are never deleted"
            order = reread
    return _Refused(_in_progress())


def _claimed(order: Order, payment_key: str, now: datetime) -> Order:
    """`order` as a won CONFIRM_CLAIMED leaves it, bound to the checkout `payment_key`."""
    return dataclasses.replace(
        order,
        status=edge(OrderEvent.CONFIRM_CLAIMED).target,
        payment_key=payment_key,
        failure=None,
        updated_at=now,
    )


def _in_progress() -> DomainError:
    return DomainError(
        ErrorCode.CONFIRM_IN_PROGRESS,
        "another confirmation of this order is in progress; poll the order for its outcome",
    )


async def _confirm_at_toss(services: Services, order: Order, payment_key: str) -> ConfirmResult:
    try:
        toss = await services.gateway.confirm(
            payment_key=payment_key,
            order_id=order.order_id,
            amount=order.amount,
            checkout=order.checkout,
        )
    except GatewayRejected as rejection:
        if rejection.code == "ALREADY_PROCESSED_PAYMENT":
            # A refreshed success page or a retried request: Toss's own record says how it ended.
            return await _settle_from_toss_record(services, order, payment_key, rejection)
        return await _settle_rejected(
            services, order, payment_key, rejection.code, rejection.message
        )
    except GatewayTechnicalError as error:
        settled = await _record_unknown_outcome(services, order, payment_key, str(error))
        if settled is not None:
            return settled
    else:
        return await _settle_reply(services, order, payment_key, toss)
    raise _pending()


def _pending() -> DomainError:
    return DomainError(
        ErrorCode.PAYMENT_PENDING,
        "the payment's outcome is not known yet; poll the order for its final status",
    )


async def _settle_from_toss_record(
    services: Services, order: Order, payment_key: str, rejection: GatewayRejected
) -> ConfirmResult:
    try:
        toss = await services.gateway.get_payment(payment_key, checkout=order.checkout)
    except (GatewayRejected, GatewayTechnicalError) as error:
        # Toss said it already processed this checkout, so it may well have charged: without
        # its record the outcome is unknown, never a failure (a FAILED order may be paid again).
        settled = await _record_unknown_outcome(services, order, payment_key, str(error))
        if settled is not None:
            return settled
        raise _pending() from None
    if toss.status in NEVER_APPROVED:
        failure = toss.failure
        return await _settle_rejected(
            services,
            order,
            payment_key,
            failure.code if failure else rejection.code,
            (failure.message if failure else "") or rejection.message,
        )
    return await _settle_reply(services, order, payment_key, toss)


def _disagreements(order: Order, payment_key: str, toss: TossPayment) -> list[str]:
    problems = []
    if toss.payment_key != payment_key:
        problems.append("paymentKey")
    if toss.order_id != order.order_id:
        problems.append("orderId")
    if toss.total_amount != order.amount:
        problems.append("totalAmount")
    if toss.status not in SETTLES_A_CONFIRM:
        problems.append("status")
    return problems


async def _settle_reply(
    services: Services, order: Order, payment_key: str, toss: TossPayment
) -> ConfirmResult:
    problems = _disagreements(order, payment_key, toss)
    if problems:
        log.error(
            "Toss reply disagrees with the order; left CONFIRMING for reconciliation",
            extra={
                "order_id": order.order_id,
                "fields": problems,
                "toss_status": toss.status.value,
            },
        )
        async with services.unit_of_work() as uow:
            await _audit_confirm(
                uow,
                order,
                PaymentEventType.CONFIRM_REPLY_MISMATCH,
                services,
                payment_key,
                fields=problems,
                toss_status=toss.status.value,
            )
        raise _pending()
    settled = await apply_toss_record(
        services,
        order.order_id,
        toss,
        source="confirm",
        event_type=PaymentEventType.CONFIRM_APPROVED,
    )
    final = settled.order
    if final.payment_key != payment_key or final.status not in CONFIRMED_STATES:
        log.error(
            "approved payment found its order moved elsewhere",
            extra={"order_id": order.order_id, "status": final.status.value},
        )
        raise DomainError(ErrorCode.INVALID_STATE, f"order is {final.status.value}")
    if settled.changed:
        log.info("payment approved", extra={"order_id": order.order_id, "amount": order.amount})
    return ConfirmResult(final, settled.payment)


async def _settle_rejected(
    services: Services, order: Order, payment_key: str, code: str, message: str
) -> ConfirmResult:
    now = services.clock()
    async with services.unit_of_work() as uow:
        await fail_claimed_checkout(
            uow,
            order,
            Failure(code, message),
            now,
            payment_key=payment_key,
            audit=FailureAudit(PaymentEventType.CONFIRM_REJECTED, even_if_not_applied=True),
        )
    if code == "INVALID_API_KEY":
        # The service's own keys passed the start-up checks (toss_keys.py), so what Toss
        # refuses is the pairing of the front end's client key with this order's checkout.
        log.warning(
            "Toss refused the client key the checkout was opened with",
            extra={"order_id": order.order_id, "checkout": order.checkout.value},
        )
        raise DomainError(
            ErrorCode.PAYMENT_REJECTED,
            f"Toss refused the keys: this order is paid through the {order.checkout} "
            "checkout, so its checkout must be opened with that checkout's client key",
            gateway_code=code,
        )
    if code in CREDENTIAL_ERRORS:
        log.error("Toss refused this service's credentials", extra={"gateway_code": code})
        raise DomainError(
            ErrorCode.GATEWAY_UNAVAILABLE,
            "the payment gateway is not available; try again later",
            gateway_code=code,
        )
    log.info("payment rejected by Toss", extra={"order_id": order.order_id, "gateway_code": code})
    raise DomainError(ErrorCode.PAYMENT_REJECTED, message, gateway_code=code)


async def _record_unknown_outcome(
    services: Services, order: Order, payment_key: str, reason: str
) -> ConfirmResult | None:
    """Record that Toss's answer never came. A webhook or the reconciler may have settled the
    order meanwhile: then that is the answer, and the caller is told the truth at once."""
    async with services.unit_of_work() as uow:
        await _audit_confirm(
            uow,
            order,
            PaymentEventType.CONFIRM_OUTCOME_UNKNOWN,
            services,
            payment_key,
            reason=reason,
        )
        current = await uow.orders.get(order.order_id)
        assert current is not None, "orders are never deleted"
        if current.status in CONFIRMED_STATES and current.payment_key == payment_key:
            payments = await uow.payments.get_many_by_order_id([order.order_id])
            return ConfirmResult(current, payments.get(order.order_id))
    log.warning(
        "confirm outcome unknown; order stays CONFIRMING",
        extra={"order_id": order.order_id, "reason": reason},
    )
    return None


async def _audit_confirm(
    uow: UnitOfWork,
    order: Order,
    event_type: PaymentEventType,
    services: Services,
    payment_key: str | None = None,
    *,
    gateway_code: str | None = None,
    **detail: object,
) -> None:
    await uow.events.append(
        PaymentEvent(
            order_id=order.order_id,
            event_type=event_type,
            created_at=services.clock(),
            payment_key=payment_key,
            gateway_code=gateway_code,
            detail=dict(detail),
        )
    )


async def fail_payment(
    services: Services, principal: Principal, *, order_id: str, code: str, message: str | None
) -> Order:
    """Record the checkout's fail redirect. Never moves a CONFIRMING or paid order."""
    validation.order_id(order_id)
    failure = Failure(validation.failure_code(code), validation.failure_message(message))
    now = services.clock()
    async with services.unit_of_work() as uow:
        order = await uow.orders.get(order_id)
        if order is None or not principal.may_access(order.buyer):
            raise order_not_found(order_id)
        moved = await uow.orders.transition(
            order_id, OrderEvent.CHECKOUT_FAILED, failure=failure, now=now
        )
        if not moved:
            current = await uow.orders.get(order_id)
            status = current.status.value if current else order.status.value
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"order is {status}; a failed checkout cannot change it",
                field="orderId",
            )
        await _audit_confirm(
            uow, order, PaymentEventType.CHECKOUT_FAILED, services, gateway_code=failure.code
        )
    target = edge(OrderEvent.CHECKOUT_FAILED).target
    return dataclasses.replace(order, status=target, failure=failure, updated_at=now)
