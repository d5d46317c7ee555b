"""`POST /webhooks/toss`: read the request, store the webhook, answer 200 at once, and process
it after the answer (domain/webhooks.py).

What a request may carry is bounded here as the inbox's columns are (db/tables.py,
WebhookInboxRow): anything Toss would never send, or the inbox could not hold, is a 400
before it reaches the database. Each client address may post `WEBHOOK_RATE_LIMIT_PER_ADDRESS`
requests a minute, a limit set far above what Toss sends from one address; past it, 429 with
Retry-After.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Final, TypeVar

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .domain import untrusted_json, validation
from .domain.errors import DomainError
from .domain.models import Webhook, WebhookEventType
from .domain.services import Services
from .domain.webhooks import (
    WebhookProcessor,
    receive_webhook,
)
from .web import AddressRateLimiter

log = logging.getLogger(__name__)

# Toss's webhook bodies are a Payment object at most; anything far larger is not from Toss.
MAX_BODY_BYTES: Final = 256 * 1024
# Visible ASCII only (no control characters), in the lengths of the inbox's columns: Toss's
# transmission ids and secrets (`ps_…`) are short ASCII tokens.
_TRANSMISSION_ID: Final = re.compile(r"[\x21-\x7e]{1,100}")
_SECRET: Final = re.compile(r"[\x21-\x7e]{1,64}")
# Toss's statuses are upper-case words (DONE, WAITING_FOR_DEPOSIT), in a 24-character column.
_STATUS: Final = re.compile(r"[A-Z][A-Z0-9_]{0,23}")
# The retried count is an INTEGER column; Toss retries seven times.
_RETRIED_COUNT: Final = re.compile(r"[0-9]{1,10}")
MAX_RETRIED_COUNT: Final = 2**31 - 1

_Field = TypeVar("_Field")
Endpoint = Callable[[Request], Awaitable[Response]]


class InvalidWebhook(Exception):
    """The request is not a Toss payment webhook this service can store. The message names
    what is wrong, never the value: it is logged."""


def parse_webhook(
    body: bytes, transmission_id: str | None, retried_count: str | None, received_at: datetime
) -> Webhook:
    """Read the identifiers out of a webhook request; nothing in it is trusted."""
    event_type, data = _event(_json_object(body))
    return Webhook(
        transmission_id=_transmission_id(transmission_id, body),
        event_type=event_type,
        order_id=_optional(data, "orderId", _order_id),
        payment_key=_optional(data, "paymentKey", _payment_key),
        claimed_status=_optional(data, "status", _status),
        secret=_optional(data, "secret", _secret),
        retried_count=_retried_count(retried_count),
        received_at=received_at,
    )


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = untrusted_json.loads(body)
    except untrusted_json.UntrustedJsonError as error:
        raise InvalidWebhook(str(error)) from None
    if not isinstance(document, dict):
        raise InvalidWebhook("the body is not a JSON object")
    return document


def _event(document: dict[str, Any]) -> tuple[WebhookEventType, Mapping[str, Any]]:
    """The event type and the fields it carries that this service reads."""
    event_type = document.get("eventType")
    data = document.get("data")
    if event_type == WebhookEventType.PAYMENT_STATUS_CHANGED and isinstance(data, dict):
        return WebhookEventType.PAYMENT_STATUS_CHANGED, {
            k: data.get(k) for k in ("orderId", "paymentKey", "status")
        }
    if event_type is None and "secret" in document and "orderId" in document:
        # DEPOSIT_CALLBACK comes flat, with no eventType (toss-api.md §8.3).
        return WebhookEventType.DEPOSIT_CALLBACK, {
            k: document.get(k) for k in ("orderId", "status", "secret")
        }
    if event_type == WebhookEventType.CANCEL_STATUS_CHANGED:
        return WebhookEventType.CANCEL_STATUS_CHANGED, {}
    raise InvalidWebhook("not a payment webhook this service reads")


def _optional(
    data: Mapping[str, Any], name: str, read: Callable[[object], _Field]
) -> _Field | None:
    value = data.get(name)
    return None if value is None else read(value)


def _order_id(value: object) -> str:
    if isinstance(value, str) and validation.ORDER_ID_PATTERN.fullmatch(value):
        return value
    raise InvalidWebhook("orderId is not an order id")


def _payment_key(value: object) -> str:
    try:
        if isinstance(value, str):
            return validation.payment_key(value)
    except DomainError:
        pass
    raise InvalidWebhook("paymentKey is not a payment key")


def _status(value: object) -> str:
    if isinstance(value, str) and _STATUS.fullmatch(value):
        return value
    raise InvalidWebhook("status is not a Toss status")


def _secret(value: object) -> str:
    if isinstance(value, str) and _SECRET.fullmatch(value):
        return value
    raise InvalidWebhook("secret is not 1 to 64 visible characters")


def _transmission_id(header: str | None, body: bytes) -> str:
    if header is None:
        # Without one (not Toss's behaviour), the body itself identifies a resend.
        return "body-" + hashlib.sha256(body).hexdigest()
    if not _TRANSMISSION_ID.fullmatch(header):
        raise InvalidWebhook("the transmission id is not 1 to 100 visible characters")
    return header


def _retried_count(header: str | None) -> int:
    if header is None:
        return 0
    if not _RETRIED_COUNT.fullmatch(header) or int(header) > MAX_RETRIED_COUNT:
        raise InvalidWebhook("the retried count is not a count")
    return int(header)


def webhook_endpoint(limiter: AddressRateLimiter) -> Endpoint:
    """The endpoint, counting each client address's posts against `limiter`."""

    async def toss_webhook(request: Request) -> Response:
        address = request.client.host if request.client else None
        wait = await limiter.check(address)
        if wait is not None:
            log.info("webhook refused: rate limit", extra={"client": address, "retry_after": wait})
            return JSONResponse(
                {"error": "too many webhooks"}, status_code=429, headers={"Retry-After": str(wait)}
            )
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "body too large"}, status_code=413)
        services: Services = request.app.state.services
        processor: WebhookProcessor = request.app.state.webhook_processor
        try:
            webhook = parse_webhook(
                body,
                request.headers.get("tosspayments-webhook-transmission-id"),
                request.headers.get("tosspayments-webhook-transmission-retried-count"),
                services.clock(),
            )
        except InvalidWebhook as error:
            log.warning("webhook refused", extra={"reason": str(error)})
            return JSONResponse({"error": str(error)}, status_code=400)
        stored = await receive_webhook(services, webhook)
        return JSONResponse(
            {"received": True, "duplicate": not stored},
            background=BackgroundTask(processor.wake) if stored else None,
        )

    return toss_webhook
