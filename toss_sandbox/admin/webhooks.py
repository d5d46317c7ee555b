"""Admin endpoints for webhooks: where they go, what was sent, and sending what is due now."""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import Row, select
from starlette.requests import Request
from starlette.responses import Response

from toss_sandbox.admin.plumbing import Handler, invalid, json_body, json_response, timestamp
from toss_sandbox.background import DueWork
from toss_sandbox.config import SandboxConfig
from toss_sandbox.lifecycle.outbox import set_webhook_url, webhook_url_in
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.tables import webhook_deliveries
from toss_sandbox.webhook_delivery import Attempt

_MAX_URL_LENGTH: Final = 2048
# GET /admin/webhooks filters: query parameter -> column.
_FILTERS: Final = {
    "paymentKey": webhook_deliveries.c.payment_key,
    "orderId": webhook_deliveries.c.order_id,
    "eventType": webhook_deliveries.c.event_type,
    "status": webhook_deliveries.c.status,
}


def _webhook_url(body: object) -> str | None:
    if not isinstance(body, dict) or "url" not in body:
        raise invalid('the body must be {"url": "http://..."} or {"url": null}')
    url = body["url"]
    if url is None:
        return None
    if not isinstance(url, str) or len(url) > _MAX_URL_LENGTH:
        raise invalid("url must be an http or https URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("url must be an http or https URL")
    return url


def _delivery(row: Row[Any]) -> dict[str, Any]:
    return {
        "transmissionId": row.transmission_id,
        "eventType": row.event_type,
        "paymentKey": row.payment_key,
        "orderId": row.order_id,
        "url": row.url,
        "status": row.status,
        "attempts": row.attempts,
        "nextAttemptAt": timestamp(row.next_attempt_at),
        "lastAttemptAt": timestamp(row.last_attempt_at),
        "lastStatus": row.last_status,
        "lastError": row.last_error,
        "createdAt": timestamp(row.created_at),
        "body": json.loads(row.body),
    }


def _attempt(attempt: Attempt) -> dict[str, Any]:
    return {
        "transmissionId": attempt.transmission_id,
        "eventType": attempt.event_type,
        "retriedCount": attempt.retried_count,
        "httpStatus": attempt.http_status,
        "error": attempt.error,
        "outcome": attempt.outcome.value,
        "nextAttemptAt": timestamp(attempt.next_attempt_at),
    }


class WebhookAdmin:
    def __init__(self, config: SandboxConfig, database: Database, due_work: DueWork) -> None:
        self._config = config
        self._database = database
        self._due_work = due_work

    def endpoints(self) -> list[tuple[str, Handler, list[str]]]:
        return [
            ("/admin/webhook", self.webhook, ["GET"]),
            ("/admin/webhook", self.set_webhook, ["PUT"]),
            ("/admin/webhooks", self.deliveries, ["GET"]),
            ("/admin/webhooks/deliver", self.deliver, ["POST"]),
        ]

    async def webhook(self, request: Request) -> Response:
        async with self._database.read() as connection:
            url = await webhook_url_in(connection, self._config.webhook_url)
        return json_response({"url": url})

    async def set_webhook(self, request: Request) -> Response:
        url = _webhook_url(await json_body(request))
        await set_webhook_url(self._database, url)
        return json_response({"url": url})

    async def deliveries(self, request: Request) -> Response:
        query = select(webhook_deliveries).order_by(webhook_deliveries.c.id)
        for parameter, column in _FILTERS.items():
            value = request.query_params.get(parameter)
            if value is not None:
                query = query.where(column == value)
        async with self._database.read() as connection:
            rows = (await connection.execute(query)).all()
        return json_response({"deliveries": [_delivery(row) for row in rows]})

    async def deliver(self, request: Request) -> Response:
        """Expire what is past its window, then attempt every webhook due now, once."""
        attempts = await self._due_work.run()
        return json_response({"attempts": [_attempt(attempt) for attempt in attempts]})
