"""SQL for the webhook inbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.models import InboxStatus, Webhook, WebhookEventType
from .statements import insert_unless_present
from .tables import Base, WebhookInboxRow

inbox = Base.metadata.tables[WebhookInboxRow.__tablename__]

RECEIVED = InboxStatus.RECEIVED.value


def _webhook(row: Row[Any]) -> Webhook:
    return Webhook(
        transmission_id=row.transmission_id,
        event_type=WebhookEventType(row.event_type),
        order_id=row.order_id,
        payment_key=row.payment_key,
        claimed_status=row.claimed_status,
        secret=row.secret,
        retried_count=row.retried_count,
        received_at=row.received_at,
    )


class SqlWebhookInbox:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, webhook: Webhook) -> bool:
        values = {
            "transmission_id": webhook.transmission_id,
            "event_type": webhook.event_type.value,
            "order_id": webhook.order_id,
            "payment_key": webhook.payment_key,
            "claimed_status": webhook.claimed_status,
            "secret": webhook.secret,
            "retried_count": webhook.retried_count,
            "status": RECEIVED,
            "received_at": webhook.received_at,
        }
        return await insert_unless_present(self._connection, inbox, values)

    async def unprocessed(self, limit: int) -> Sequence[Webhook]:
        result = await self._connection.execute(
            select(inbox)
            .where(inbox.c.status == RECEIVED)
            .order_by(inbox.c.received_at)
            .limit(limit)
        )
        return [_webhook(row) for row in result]

    async def finish(
        self, transmission_id: str, *, status: InboxStatus, outcome: str, now: datetime
    ) -> None:
        # Only while still RECEIVED: another process that settled it first keeps its word.
        await self._connection.execute(
            update(inbox)
            .where(inbox.c.transmission_id == transmission_id, inbox.c.status == RECEIVED)
            .values(status=status.value, outcome=outcome[:200], processed_at=now, secret=None)
        )
