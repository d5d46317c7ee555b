"""The schema: products, orders, their lines, payments in force, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..domain.models import OrderStatus
from .types import JsonDocument, UtcDateTime

# Stable constraint names, so Alembic migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The CHECK constraint's list, in the enum's order so the rendered SQL never changes.
ORDER_STATUSES = tuple(status.value for status in OrderStatus)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ProductRow(Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("price > 0", name="price_positive"),)


class OrderRow(Base):
    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    buyer: Mapped[str] = mapped_column(String(128))
    order_name: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))
    # The checkout being confirmed, bound at its first confirm.
    payment_key: Mapped[str | None] = mapped_column(String(200))
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(String(510))
    # The lock that serializes money operations on this order (cancels, reconciliation):
    # a random token and when it was taken.
    lock_token: Mapped[str | None] = mapped_column(String(32))
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when reconciliation gave up on the order: an operator must look at it.
    attention: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The Toss key set its checkout is paid through (Checkout); orders made before the
    # widget existed were all paid through the payment window.
    checkout: Mapped[str] = mapped_column(String(16), server_default="PAYMENT_WINDOW")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"status IN {ORDER_STATUSES!r}", name="status_known"),
        Index(None, "buyer", "order_name"),
        Index(None, "buyer", "created_at"),
        Index(None, "created_at"),
        Index(None, "status", "updated_at"),
    )


class OrderLineRow(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(100))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)


class PaymentRow(Base):
    """A payment in force. A fully canceled payment leaves this table (its facts stay in
    `orders`, `cancels` and `payment_events`)."""

    __tablename__ = "payments"

    payment_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), unique=True)
    method: Mapped[str | None] = mapped_column(String(32))
    total_amount: Mapped[int] = mapped_column(BigInteger)
    balance_amount: Mapped[int] = mapped_column(BigInteger)
    toss_status: Mapped[str] = mapped_column(String(24))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    receipt_url: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint(
            "balance_amount >= 0 AND balance_amount <= total_amount", name="balance_within_total"
        ),
    )


class PaymentEventRow(Base):
    """Append-only audit log of every state change and gateway exchange; no secrets."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), index=True)
    event_type: Mapped[str] = mapped_column(String(48))
    request_id: Mapped[str | None] = mapped_column(String(64))
    payment_key: Mapped[str | None] = mapped_column(String(200))
    gateway_code: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CancelRow(Base):
    """One Toss cancel transaction, as Toss reported it; never deleted."""

    __tablename__ = "cancels"

    transaction_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"))
    payment_key: Mapped[str] = mapped_column(String(200))
    buyer: Mapped[str] = mapped_column(String(128))
    order_name: Mapped[str] = mapped_column(String(100))
    cancel_amount: Mapped[int] = mapped_column(BigInteger)
    cancel_reason: Mapped[str] = mapped_column(String(200))
    canceled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The client's idempotencyKey of the cancelPayment call that made it, when there was one.
    idempotency_key: Mapped[str | None] = mapped_column(String(300))
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("cancel_amount > 0", name="cancel_amount_positive"),
        Index(None, "order_id", "canceled_at"),
        Index(None, "buyer", "canceled_at"),
        Index(None, "canceled_at"),
    )


class CancelRequestRow(Base):
    """A cancelPayment call, stored before Toss is asked (see domain/cancel.py)."""

    __tablename__ = "cancel_requests"

    request_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    buyer: Mapped[str] = mapped_column(String(128))
    order_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(200))
    requested_amount: Mapped[int | None] = mapped_column(BigInteger)
    requested_order_id: Mapped[str | None] = mapped_column(String(64))
    client_key: Mapped[str | None] = mapped_column(String(300))
    toss_idempotency_key: Mapped[str] = mapped_column(String(300))
    # Set before the first call to Toss: from then on its outcome may exist at Toss.
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    transaction_key: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(48))
    error_message: Mapped[str | None] = mapped_column(String(510))
    gateway_code: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The refund account of a deposited virtual account's cancel, masked, and a SHA-256
    # digest of it whole (to recognise a repeat): the account itself is never stored.
    refund_account_masked: Mapped[str | None] = mapped_column(String(120))
    refund_account_digest: Mapped[str | None] = mapped_column(String(64))

    # A client key is scoped to its buyer; NULLs (no key given) never collide.
    __table_args__ = (UniqueConstraint("buyer", "client_key"),)


class WebhookInboxRow(Base):
    """Every Toss webhook received, once per transmission id (Toss resends the same id on
    retries), with what it named. The body is a hint only: it is never acted on unverified,
    and only its identifiers are kept (a Payment body carries card data)."""

    __tablename__ = "webhook_inbox"

    transmission_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(48))
    order_id: Mapped[str | None] = mapped_column(String(64))
    payment_key: Mapped[str | None] = mapped_column(String(200))
    claimed_status: Mapped[str | None] = mapped_column(String(24))
    retried_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Kept only until processed: a DEPOSIT_CALLBACK's secret, to compare with Toss's.
    secret: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index(None, "status", "received_at"),)
