"""The sandbox's tables: its payments and their cancels, idempotency records, request log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

from toss_graphql.sandbox.status import APPROVED


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime kept as fixed-width UTC text, so SQL comparisons order correctly."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the sandbox stores aware datetimes only")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")

    def process_result_value(self, value: str | None, dialect: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("payment_key", String(200), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("order_name", String(100), nullable=False),
    Column("status", String(32), nullable=False),
    Column("total_amount", BigInteger, nullable=False),
    Column("balance_amount", BigInteger, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("approved_at", UtcDateTime),
    Column("last_transaction_key", String(64)),
    Column("card_number", String(20), nullable=False),
    Column("card_issuer_code", String(2), nullable=False),
    Column("card_acquirer_code", String(2)),
    Column("card_approve_no", String(8)),
    Column("failure_code", String(64)),
)

# Toss refuses a second approval of one orderId (DUPLICATED_ORDER_ID); the database refuses
# it too, so no interleaving of requests can leave two approved payments for one order.
Index(
    "uq_payments_approved_order_id",
    payments.c.order_id,
    unique=True,
    sqlite_where=payments.c.status.in_(sorted(APPROVED)),
    postgresql_where=payments.c.status.in_(sorted(APPROVED)),
)

# One row per applied cancel. The primary key is a second guard behind the conditional
# update in `cancels.py`: two cancels built on the same view of a payment claim the same
# sequence number, and only one of them can be inserted.
payment_cancels = Table(
    "payment_cancels",
    metadata,
    Column("payment_key", String(200), ForeignKey(payments.c.payment_key), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("transaction_key", String(64), nullable=False, unique=True),
    Column("cancel_amount", BigInteger, nullable=False),
    Column("cancel_reason", String(200), nullable=False),
    Column("tax_free_amount", BigInteger, nullable=False),
    Column("refundable_amount", BigInteger, nullable=False),
    # Microsecond precision: Toss's one-second rule between cancels is checked against it.
    Column("canceled_at", UtcDateTime, nullable=False),
    Column("receipt_key", String(64), nullable=False),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    # Toss's scope: (key, API key, URL, method). The secret key is kept as a SHA-256 digest.
    Column("idempotency_key", String(300), primary_key=True),
    Column("secret_key_digest", String(64), primary_key=True),
    Column("path", String(2048), primary_key=True),
    Column("method", String(16), primary_key=True),
    Column("response_status", Integer),
    Column("response_body", Text),
    Column("first_used_at", UtcDateTime, nullable=False, index=True),
    Column("claimed_at", UtcDateTime, nullable=False),
)

request_log = Table(
    "request_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("idempotency_key", Text),
    Column("status", Integer, nullable=False),
    Column("replayed", Boolean, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)
