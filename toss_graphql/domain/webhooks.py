"""Toss's payment webhooks: received once, verified against Toss, settled like any other news.

Payment webhooks are unsigned (toss-api.md §8.2), so a body is only a hint of which order to
look at: the payment is read back from Toss before anything changes, and a DEPOSIT_CALLBACK's
`secret` must equal the one Toss holds for that payment. Webhooks are stored in an inbox keyed
by transmission id (Toss resends the same id on retries), answered at once, and processed
after the answer, so Toss always gets its 200 well within its 10 seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import validation
from .errors import DomainError
from .gateway_port import GatewayRejected, GatewayTechnicalError, TossPayment
from .models import PaymentEvent
from .services import Services
from .settlement import apply_toss_record

log = logging.getLogger(__name__)

PAYMENT_STATUS_CHANGED = "PAYMENT_STATUS_CHANGED"
DEPOSIT_CALLBACK = "DEPOSIT_CALLBACK"
CANCEL_STATUS_CHANGED = "CANCEL_STATUS_CHANGED"


class InvalidWebhook(Exception):
    """The body is not a Toss payment webhook this service can read."""


@dataclass(frozen=True, slots=True)
class Webhook:
    transmission_id: str
    event_type: str
    order_id: str | None
    payment_key: str | None
    claimed_status: str | None
    secret: str | None
    retried_count: int
    received_at: datetime


def parse_webhook(
    body: bytes, transmission_id: str | None, retried_count: str | None, received_at: datetime
) -> Webhook:
    """Read the identifiers out of a webhook body; nothing in it is trusted."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidWebhook("the body is not JSON") from None
    if not isinstance(document, dict):
        raise InvalidWebhook("the body is not a JSON object")
    event_type = document.get("eventType")
    data: Any = document.get("data")
    if event_type == PAYMENT_STATUS_CHANGED and isinstance(data, dict):
        order_id, payment_key, status = (
            data.get("orderId"),
            data.get("paymentKey"),
            data.get("status"),
        )
        secret = None
    elif event_type is None and "secret" in document and "orderId" in document:
        # DEPOSIT_CALLBACK comes flat, with no eventType (toss-api.md §8.3).
        event_type = DEPOSIT_CALLBACK
        order_id, payment_key, status = document.get("orderId"), None, document.get("status")
        secret = document.get("secret")
    elif event_type == CANCEL_STATUS_CHANGED:
        order_id = payment_key = status = secret = None
    else:
        raise InvalidWebhook(f"unsupported webhook {event_type!r}")
    for name, value in (("orderId", order_id), ("paymentKey", payment_key), ("secret", secret)):
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            raise InvalidWebhook(f"{name} is not a string of at most 200 characters")
    if order_id is not None and not validation.ORDER_ID_PATTERN.fullmatch(order_id):
        raise InvalidWebhook("orderId is not an order id")
    if payment_key is not None:
        try:
            validation.payment_key(payment_key)
        except DomainError:
            raise InvalidWebhook("paymentKey is not a payment key") from None
    # Without a transmission id (not Toss's behaviour), the body itself identifies a resend.
    identity = transmission_id or "body-" + hashlib.sha256(body).hexdigest()
    try:
        retried = int(retried_count or 0)
    except ValueError:
        retried = 0
    return Webhook(
        transmission_id=identity[:100],
        event_type=str(event_type),
        order_id=order_id,
        payment_key=payment_key,
        claimed_status=str(status)[:24] if status is not None else None,
        secret=secret,
        retried_count=retried,
        received_at=received_at,
    )


async def receive_webhook(services: Services, webhook: Webhook) -> bool:
    """Store the webhook once; False for a resend of one already stored."""
    async with services.unit_of_work() as uow:
        return await uow.webhooks.add(webhook)


async def process_received_webhooks(
    services: Services, limit: int = 50, *, passes: int = 3, pause: float = 0.5
) -> int:
    """Act on every stored webhook not processed yet; returns how many were processed.

    A webhook whose order is busy (another webhook or a cancel holds its lock) or whose
    payment Toss cannot be asked about right now is tried again after a pause, up to
    `passes` times; whatever is left waits for the reconciler's next round.
    """
    async with services.unit_of_work() as uow:
        waiting = list(await uow.webhooks.unprocessed(limit))
    done = 0
    for attempt in range(passes):
        if attempt:
            await services.sleep(pause)
        left = []
        for webhook in waiting:
            try:
                outcome = await _process(services, webhook)
            except Exception:
                # One webhook that trips a bug must not block the others forever: it is
                # set aside as FAILED, for an operator, and the rest go on.
                log.exception(
                    "webhook processing failed", extra={"transmission": webhook.transmission_id}
                )
                outcome = ("FAILED", "processing failed; see the log")
            if outcome is None:
                left.append(webhook)
                continue
            await _finish(services, webhook, *outcome)
            done += 1
        if not left:
            break
        waiting = left
    return done


async def _finish(services: Services, webhook: Webhook, status: str, note: str) -> None:
    async with services.unit_of_work() as uow:
        await uow.webhooks.finish(
            webhook.transmission_id, status=status, outcome=note, now=services.clock()
        )
        rejected_order = webhook.order_id if status == "REJECTED" else None
        if rejected_order is not None and await uow.orders.get(rejected_order) is not None:
            await uow.events.append(
                PaymentEvent(
                    order_id=rejected_order,
                    event_type="WEBHOOK_REJECTED",
                    created_at=services.clock(),
                    payment_key=webhook.payment_key,
                    detail={"event": webhook.event_type, "reason": note},
                )
            )


async def _process(services: Services, webhook: Webhook) -> tuple[str, str] | None:
    if webhook.event_type == CANCEL_STATUS_CHANGED:
        # Sent only for foreign easy-pay cancels, which this service does not offer.
        return "IGNORED", "cancel status events concern foreign easy-pay only"
    if webhook.order_id is None:
        return "REJECTED", "no orderId"
    async with services.unit_of_work() as uow:
        order = await uow.orders.get(webhook.order_id)
    if order is None:
        return "REJECTED", "no such order"
    # The lock first, then Toss's record: a record read before taking the lock could be
    # older than a cancel that finished meanwhile.
    token = secrets.token_hex(16)
    now = services.clock()
    async with services.unit_of_work() as uow:
        if not await uow.orders.claim_lock(
            webhook.order_id, token=token, now=now, stale_before=now - services.lock_lease
        ):
            return None
    try:
        return await _verify_and_settle(services, webhook)
    finally:
        async with services.unit_of_work() as uow:
            await uow.orders.release_lock(webhook.order_id, token=token)


async def _verify_and_settle(services: Services, webhook: Webhook) -> tuple[str, str] | None:
    assert webhook.order_id is not None
    try:
        toss = await _read_toss(services, webhook)
    except GatewayRejected as rejection:
        return "REJECTED", f"Toss does not know it: {rejection.code}"
    except GatewayTechnicalError:
        return None
    if toss.order_id != webhook.order_id:
        return "REJECTED", "the payment belongs to another order"
    if webhook.event_type == DEPOSIT_CALLBACK and not _same_secret(webhook.secret, toss):
        log.warning("DEPOSIT_CALLBACK with a wrong secret", extra={"order_id": webhook.order_id})
        return "REJECTED", "secret does not match Toss's"
    settled = await apply_toss_record(
        services, webhook.order_id, toss, source=f"webhook {webhook.event_type}"
    )
    return "PROCESSED", settled.note or "in line"


async def _read_toss(services: Services, webhook: Webhook) -> TossPayment:
    if webhook.payment_key is not None:
        return await services.gateway.get_payment(webhook.payment_key)
    assert webhook.order_id is not None
    return await services.gateway.get_payment_by_order_id(webhook.order_id)


def _same_secret(claimed: str | None, toss: TossPayment) -> bool:
    actual = toss.raw.get("secret")
    if not claimed or not isinstance(actual, str):
        return False
    return hmac.compare_digest(claimed.encode(), actual.encode())
