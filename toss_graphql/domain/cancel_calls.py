"""Asking Toss to cancel, within Toss's rule of one cancel per payment per second.

The rule is kept here, in two steps, and nowhere else in the domain:

- before the first call, the request waits until `CONSECUTIVE_GAP` has passed since the
  order's last recorded cancel;
- a first call Toss still refuses with FORBIDDEN_CONSECUTIVE_REQUEST (a cancel made outside
  this service in the same second) did not act, and Toss would replay that refusal for the
  same key: after the gap it is asked again under a new key, stored before it is used, at most
  `CONSECUTIVE_RETRIES` times.

The gateway's own retries are about something else, a reply that never came: it repeats the
same call under the same key, and Toss answers the first answer again or acts once. So one
cancel makes at most (1 + CONSECUTIVE_RETRIES) x the gateway's attempts HTTP calls: 4 x 3.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from .cancel_requests import audit, fail
from .errors import DomainError, ErrorCode
from .models import CancelRequest, PaymentEventType
from .order_lock import OrderLock
from .ports.gateway import (
    CREDENTIAL_ERRORS,
    Checkout,
    GatewayRejected,
    GatewayTechnicalError,
    TossPayment,
)
from .services import Services

log = logging.getLogger(__name__)

CONSECUTIVE_GAP = timedelta(milliseconds=1100)
CONSECUTIVE_RETRIES = 3
# What each Toss refusal means to the caller (toss-api.md §4.4).
REFUSALS = {
    "NOT_CANCELABLE_AMOUNT": ErrorCode.CANCEL_AMOUNT_EXCEEDED,
    "FORBIDDEN_CONSECUTIVE_REQUEST": ErrorCode.CANCEL_IN_PROGRESS,
}


@dataclass(frozen=True, slots=True)
class Answered:
    """Toss's answer, with the request as stored when it was sent: its Idempotency-Key is the
    one Toss answered, and it carries `sent_at`, so the books record what was really sent."""

    request: CancelRequest
    toss: TossPayment


async def wait_for_the_gap(services: Services, last_canceled_at: datetime | None) -> None:
    """Sleep until Toss takes another cancel of this payment."""
    if last_canceled_at is None:
        return
    wait = (last_canceled_at + CONSECUTIVE_GAP - services.clock()).total_seconds()
    if wait > 0:
        await services.sleep(wait)


async def ask_toss(
    services: Services,
    request: CancelRequest,
    payment_key: str,
    balance: int | None,
    lock: OrderLock,
    checkout: Checkout,
) -> Answered:
    for attempt in range(CONSECUTIVE_RETRIES + 1):
        request = await _mark_sent(services, request, lock)
        try:
            toss = await services.gateway.cancel(
                payment_key=payment_key,
                cancel_reason=request.reason,
                cancel_amount=request.requested_amount,
                refundable_amount=balance,
                idempotency_key=request.toss_idempotency_key,
                checkout=checkout,
                refund_account=request.refund_account,
            )
            return Answered(request, toss)
        except GatewayRejected as rejection:
            if rejection.code == "FORBIDDEN_CONSECUTIVE_REQUEST" and attempt < CONSECUTIVE_RETRIES:
                # Toss did not act, and would replay this refusal for the same key: wait the
                # second out and ask again under a new key, stored before it is used.
                request = await _new_toss_key(services, request)
                await services.sleep(CONSECUTIVE_GAP.total_seconds())
                continue
            await fail(services, request, _refusal(rejection))
        except GatewayTechnicalError as error:
            log.warning(
                "cancel outcome unknown; the request stays pending",
                extra={"order_id": request.order_id, "reason": str(error)},
            )
            async with services.unit_of_work() as uow:
                await audit(
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
