"""`POST /webhooks/toss`: store the webhook, answer 200 at once, process after the answer."""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .domain.services import Services
from .domain.webhooks import (
    InvalidWebhook,
    parse_webhook,
    process_received_webhooks,
    receive_webhook,
)

log = logging.getLogger(__name__)

# Toss's webhook bodies are a Payment object at most; anything far larger is not from Toss.
MAX_BODY_BYTES = 256 * 1024


async def toss_webhook(request: Request) -> Response:
    services: Services = request.app.state.services
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse({"error": "body too large"}, status_code=413)
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
        background=BackgroundTask(process_received_webhooks, services) if stored else None,
    )
