"""Reading the audit log back in tests: the service itself only ever appends to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.tables import PaymentEventRow


@dataclass(frozen=True, slots=True)
class AuditLine:
    event_type: str
    gateway_code: str | None
    detail: dict[str, Any]


async def audit_log(database_url: str, order_id: str) -> list[AuditLine]:
    """The order's `payment_events`, oldest first."""
    engine = create_database_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(
                    PaymentEventRow.event_type,
                    PaymentEventRow.gateway_code,
                    PaymentEventRow.detail,
                )
                .where(PaymentEventRow.order_id == order_id)
                .order_by(PaymentEventRow.id)
            )
            return [AuditLine(row.event_type, row.gateway_code, row.detail) for row in rows]
    finally:
        await engine.dispose()
