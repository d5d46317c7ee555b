"""Counts an operator watches, read straight from the database so that every worker and
instance reports the same figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.models import CancelRequestStatus, InboxStatus, OrderStatus
from .tables import Base, CancelRequestRow, OrderRow, WebhookInboxRow

orders = Base.metadata.tables[OrderRow.__tablename__]
cancel_requests = Base.metadata.tables[CancelRequestRow.__tablename__]
inbox = Base.metadata.tables[WebhookInboxRow.__tablename__]


@dataclass(frozen=True, slots=True)
class ServiceStats:
    orders_by_status: dict[str, int] = field(default_factory=dict)
    orders_needing_attention: int = 0
    cancel_requests_pending: int = 0
    webhooks_unprocessed: int = 0
    # When the oldest of them began: a confirm or cancel whose outcome at Toss is unknown
    # (CONFIRMING and not handed to an operator, a PENDING cancel request), and a webhook
    # waiting to be processed.
    oldest_unknown_outcome: datetime | None = None
    oldest_unprocessed_webhook: datetime | None = None


async def read_service_stats(engine: AsyncEngine) -> ServiceStats:
    async with engine.connect() as connection:
        by_status = await connection.execute(
            select(orders.c.status, func.count()).group_by(orders.c.status)
        )
        attention = await connection.scalar(
            select(func.count()).select_from(orders).where(orders.c.attention.is_not(None))
        )
        pending = await connection.scalar(
            select(func.count())
            .select_from(cancel_requests)
            .where(cancel_requests.c.status == CancelRequestStatus.PENDING.value)
        )
        unprocessed = await connection.scalar(
            select(func.count())
            .select_from(inbox)
            .where(inbox.c.status == InboxStatus.RECEIVED.value)
        )
        oldest_confirm = await connection.scalar(
            select(func.min(orders.c.updated_at)).where(
                orders.c.status == OrderStatus.CONFIRMING.value, orders.c.attention.is_(None)
            )
        )
        oldest_cancel = await connection.scalar(
            select(func.min(cancel_requests.c.updated_at)).where(
                cancel_requests.c.status == CancelRequestStatus.PENDING.value
            )
        )
        oldest_webhook = await connection.scalar(
            select(func.min(inbox.c.received_at)).where(
                inbox.c.status == InboxStatus.RECEIVED.value
            )
        )
    return ServiceStats(
        orders_by_status={status: count for status, count in by_status},
        orders_needing_attention=attention or 0,
        cancel_requests_pending=pending or 0,
        webhooks_unprocessed=unprocessed or 0,
        oldest_unknown_outcome=min(
            (moment for moment in (oldest_confirm, oldest_cancel) if moment is not None),
            default=None,
        ),
        oldest_unprocessed_webhook=oldest_webhook,
    )
