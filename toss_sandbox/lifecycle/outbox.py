"""Webhook events, written to the outbox in the transaction that changes the payment.

Toss sends PAYMENT_STATUS_CHANGED with the whole Payment, and for virtual accounts also
DEPOSIT_CALLBACK, a flat body carrying the payment's `secret` (toss-api.md §8.3). An event
is only recorded when a webhook URL is set at the time of the change, as Toss sends nothing
to a merchant that registered none; `toss_sandbox/webhook_delivery.py` sends what is recorded.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.config import SandboxConfig
from toss_sandbox.i18n import Language
from toss_sandbox.kst import event_time_kst
from toss_sandbox.lifecycle.payment_json import render_payment
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.payment_store import Payment
from toss_sandbox.storage.tables import sandbox_state, webhook_deliveries
from toss_sandbox.vocabulary.keys import new_transmission_id
from toss_sandbox.vocabulary.status import NOTIFIED, PaymentMethod


class EventType(StrEnum):
    PAYMENT_STATUS_CHANGED = "PAYMENT_STATUS_CHANGED"
    DEPOSIT_CALLBACK = "DEPOSIT_CALLBACK"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


_RECORD: Final = webhook_deliveries.insert()


def json_text(content: Any) -> str:
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def effective_webhook_url(url_set: bool, url: str | None, default: str | None) -> str | None:
    """The URL `PUT /admin/webhook` set (None included), or `default` until it is called."""
    return url if url_set else default


async def webhook_url_in(connection: AsyncConnection, default: str | None) -> str | None:
    row = (
        await connection.execute(
            select(sandbox_state.c.webhook_url_set, sandbox_state.c.webhook_url)
        )
    ).first()
    if row is None:
        return default
    return effective_webhook_url(row.webhook_url_set, row.webhook_url, default)


async def set_webhook_url(database: Database, url: str | None) -> None:
    async with database.write() as connection:
        await connection.execute(
            update(sandbox_state).values(webhook_url_set=True, webhook_url=url)
        )


class Outbox:
    def __init__(self, config: SandboxConfig) -> None:
        self._default_url = config.webhook_url
        self._public_base_url = config.public_base_url
        # Whether `_url` holds the webhook URL already read in the caller's transaction.
        self._url_known = False
        self._url: str | None = None

    @property
    def default_url(self) -> str | None:
        """Where webhooks go until `PUT /admin/webhook` is called."""
        return self._default_url

    def knowing_url(self, url: str | None) -> Outbox:
        """This outbox for a transaction that has read the webhook URL already (a /v1 call
        reads it with the rest of the sandbox's state), so recording an event reads it no
        more."""
        bound = copy.copy(self)
        bound._url_known = True
        bound._url = url
        return bound

    async def payment_changed(
        self, connection: AsyncConnection, payment: Payment, now: datetime
    ) -> None:
        """Record the webhooks Toss sends for `payment`'s new status, if any."""
        if payment.status not in NOTIFIED:
            return
        url = self._url if self._url_known else await webhook_url_in(connection, self._default_url)
        if url is None:
            return
        created_at = event_time_kst(now)
        events: list[tuple[EventType, dict[str, Any]]] = [
            (
                EventType.PAYMENT_STATUS_CHANGED,
                {
                    "eventType": EventType.PAYMENT_STATUS_CHANGED.value,
                    "createdAt": created_at,
                    "data": self._render(payment, now),
                },
            )
        ]
        if payment.method is PaymentMethod.VIRTUAL_ACCOUNT:
            # Flat, with no eventType: Toss's own shape for this callback.
            events.append(
                (
                    EventType.DEPOSIT_CALLBACK,
                    {
                        "createdAt": created_at,
                        "secret": payment.secret,
                        "status": payment.status.value,
                        "transactionKey": payment.last_transaction_key,
                        "orderId": payment.order_id,
                    },
                )
            )
        for event_type, body in events:
            await connection.execute(
                _RECORD,
                {
                    "transmission_id": new_transmission_id(),
                    "event_type": event_type,
                    "payment_key": payment.payment_key,
                    "order_id": payment.order_id,
                    "url": url,
                    "body": json_text(body),
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                },
            )

    def _render(self, payment: Payment, now: datetime) -> dict[str, Any]:
        # No request is at hand (an expiry may be noticed by the background task), so the
        # links point where the payment was created unless a public URL is configured.
        base_url = (self._public_base_url or payment.base_url or "").rstrip("/")
        return render_payment(payment, language=Language.KO, base_url=base_url, now=now)
