"""The sandbox's tables: payments and their cancels, idempotency records, the request log,
and the emulator's own state (clock offset, webhook URL, faults, webhook deliveries)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

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

from toss_sandbox.vocabulary.status import CONFIRMED

# Bumped whenever a table changes shape: a database of another version is rebuilt empty
# (see database.py), as the sandbox's state is test state, not a ledger to migrate. A new
# index is no change of shape: a database that lacks one gets it when a sandbox starts.
SCHEMA_VERSION: Final = 5


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
    # Null while READY: the buyer picks the method in the window.
    Column("method", String(32)),
    Column("total_amount", BigInteger, nullable=False),
    Column("balance_amount", BigInteger, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    # When the buyer authenticated in the window: the 10-minute confirm window starts here.
    Column("authenticated_at", UtcDateTime),
    Column("approved_at", UtcDateTime),
    Column("last_transaction_key", String(64)),
    Column("card_number", String(20)),
    Column("card_issuer_code", String(2)),
    Column("card_acquirer_code", String(2)),
    Column("card_approve_no", String(8)),
    Column("customer_name", String(100)),
    # The key set of the client key that opened the window (vocabulary/integrations.py): a
    # confirm must come with the secret key of the same set.
    Column("integration", String(16), nullable=False),
    # Set for easy pay (토스페이, ...), transfer and mobile phone respectively.
    Column("easy_pay_provider", String(16)),
    Column("transfer_bank_code", String(2)),
    Column("customer_mobile_phone", String(15)),
    Column("virtual_account_number", String(20)),
    Column("virtual_account_bank_code", String(2)),
    Column("virtual_account_due_date", UtcDateTime),
    Column("secret", String(50)),
    Column("failure_code", String(64)),
    # Where the payment was created, for the links in webhooks sent with no request at hand.
    Column("base_url", Text),
)

# The background task looks for unfinished payments past their window several times a
# second (lifecycle/expiry.py); without this it would read every payment ever made each time.
Index("ix_payments_status", payments.c.status)

# Toss refuses a second approval of one orderId (DUPLICATED_ORDER_ID); the database refuses
# it too, so no interleaving of requests can leave two confirmed payments for one order.
Index(
    "uq_payments_confirmed_order_id",
    payments.c.order_id,
    unique=True,
    sqlite_where=payments.c.status.in_(sorted(CONFIRMED)),
    postgresql_where=payments.c.status.in_(sorted(CONFIRMED)),
)

# One row per applied cancel. The primary key is a second guard behind the conditional
# update in `lifecycle/cancels.py`: two cancels built on the same view of a payment claim the same
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
    # The buyer's account a cancel of a deposited virtual account refunds to (toss-api.md
    # §2.4); null on every other cancel. Toss pays it 2 days after the cancel, so whether the
    # refund is done is read off the clock; only a failure (an admin switch) is written.
    Column("refund_bank_code", String(2)),
    Column("refund_account_number", String(20)),
    Column("refund_holder_name", String(60)),
    Column("refund_failed_at", UtcDateTime),
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
    # Null when a `timeout` fault kept the sandbox from answering at all.
    Column("status", Integer),
    Column("replayed", Boolean, nullable=False),
    Column("fault", String(32)),
    Column("key_set", String(16)),
    Column("at", UtcDateTime, nullable=False),
)

# One row (id 1): what every worker process sharing the database must agree on.
sandbox_state = Table(
    "sandbox_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("schema_version", Integer, nullable=False),
    # Added to the real clock: tests move time forward through POST /admin/clock.
    Column("clock_offset_us", BigInteger, nullable=False),
    # Set once PUT /admin/webhook has been called; until then SandboxConfig.webhook_url holds.
    Column("webhook_url_set", Boolean, nullable=False),
    Column("webhook_url", Text),
)

faults = Table(
    "faults",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Null matches any method.
    Column("method", String(16)),
    Column("path", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("latency_ms", Integer),
    Column("status", Integer),
    Column("code", String(64)),
    # Matching requests it still applies to; the row goes when it reaches 0.
    Column("times", Integer, nullable=False),
)

# The webhook outbox: one row per event, written in the transaction that changed the payment.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transmission_id", String(64), nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("payment_key", String(200), nullable=False, index=True),
    Column("order_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("body", Text, nullable=False),
    # PENDING until a 200, then DELIVERED; FAILED after the last retry.
    Column("status", String(16), nullable=False),
    # Attempts made so far; the next one is sent with retried-count = attempts.
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_attempt_at", UtcDateTime),
    Column("last_status", Integer),
    Column("last_error", Text),
    # The worker sending the current attempt, and when it claimed it (real time, not the
    # sandbox clock: the claim is about a live process, not about simulated time).
    Column("claim_token", String(64)),
    Column("claimed_at", UtcDateTime),
)
