"""The domain's own view of orders, payments and who is asking."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .ports.gateway import (
    Checkout,
    EasyPay,
    MobilePhone,
    PaymentCard,
    RefundAccount,
    TossPaymentStatus,
    Transfer,
    VirtualAccount,
)


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMING = "CONFIRMING"
    WAITING_FOR_DEPOSIT = "WAITING_FOR_DEPOSIT"
    PAID = "PAID"
    FAILED = "FAILED"
    PARTIALLY_CANCELED = "PARTIALLY_CANCELED"
    CANCELED = "CANCELED"


class Role(StrEnum):
    BUYER = "buyer"
    SERVICE = "service"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a buyer id (`sub`), a role, and the OAuth scopes it holds."""

    subject: str
    role: Role = Role.BUYER
    scopes: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def may_set_price(self) -> bool:
        """Admin and service tokens may create orders with an explicit name, amount and buyer."""
        return self.role in (Role.ADMIN, Role.SERVICE)

    def may_access(self, buyer: str) -> bool:
        return self.is_admin or self.subject == buyer


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    price: int
    active: bool = True


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    product_name: str
    unit_price: int
    quantity: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Failure:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    buyer: str
    order_name: str
    amount: int
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    payment_key: str | None = None
    failure: Failure | None = None
    attention: str | None = None
    # The key set its checkout is paid through; every call to Toss about it uses that set.
    checkout: Checkout = Checkout.PAYMENT_WINDOW


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment in force: approved by Toss and not fully canceled."""

    payment_key: str
    order_id: str
    method: str | None
    total_amount: int
    balance_amount: int
    toss_status: TossPaymentStatus
    approved_at: datetime | None
    receipt_url: str | None
    # Read from Toss's JSON by `toss_records`, whoever builds the Payment.
    virtual_account: VirtualAccount | None = None
    card: PaymentCard | None = None
    easy_pay: EasyPay | None = None
    transfer: Transfer | None = None
    mobile_phone: MobilePhone | None = None
    # Toss's JSON, kept to be stored; the domain reads the fields above, never this.
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentEventType(StrEnum):
    """What a line of the audit log (`payment_events.event_type`) records."""

    ORDER_CREATED = "ORDER_CREATED"
    # Confirming a checkout (domain/confirm.py).
    AMOUNT_TAMPER_REFUSED = "AMOUNT_TAMPER_REFUSED"
    CONFIRM_CLAIMED = "CONFIRM_CLAIMED"
    CONFIRM_APPROVED = "CONFIRM_APPROVED"
    CONFIRM_REJECTED = "CONFIRM_REJECTED"
    CONFIRM_REPLY_MISMATCH = "CONFIRM_REPLY_MISMATCH"
    CONFIRM_OUTCOME_UNKNOWN = "CONFIRM_OUTCOME_UNKNOWN"
    CHECKOUT_FAILED = "CHECKOUT_FAILED"
    # Canceling (domain/cancel.py, and reconciliation of pending requests).
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCEL_APPROVED = "CANCEL_APPROVED"
    CANCEL_REFUSED = "CANCEL_REFUSED"
    CANCEL_REPLY_MISMATCH = "CANCEL_REPLY_MISMATCH"
    CANCEL_OUTCOME_UNKNOWN = "CANCEL_OUTCOME_UNKNOWN"
    CANCEL_NEVER_SENT = "CANCEL_NEVER_SENT"
    # Settling from Toss's record (domain/alignment.py, reconcile.py, webhooks.py).
    SETTLED_FROM_TOSS = "SETTLED_FROM_TOSS"
    TOSS_RECORD_READ = "TOSS_RECORD_READ"
    PAYMENT_CLOSED = "PAYMENT_CLOSED"
    TOSS_UNREACHABLE = "TOSS_UNREACHABLE"
    RECONCILE_GAVE_UP = "RECONCILE_GAVE_UP"
    WEBHOOK_REJECTED = "WEBHOOK_REJECTED"


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """One line of the append-only audit log; never holds secrets or card data."""

    order_id: str
    event_type: PaymentEventType
    created_at: datetime
    payment_key: str | None = None
    gateway_code: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cancel:
    """One Toss cancel transaction: kept for good, even after the payment leaves `payments`."""

    transaction_key: str
    order_id: str
    payment_key: str
    buyer: str
    order_name: str
    cancel_amount: int
    cancel_reason: str
    canceled_at: datetime
    idempotency_key: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class CancelRequestStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """A cancelPayment call, stored before Toss is asked, so that a repeat is recognized
    and the Idempotency-Key sent to Toss survives a crash."""

    request_id: str
    buyer: str
    order_name: str
    reason: str
    requested_amount: int | None
    requested_order_id: str | None
    client_key: str | None
    toss_idempotency_key: str
    order_id: str
    status: CancelRequestStatus
    created_at: datetime
    updated_at: datetime
    transaction_key: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    gateway_code: str | None = None
    sent_at: datetime | None = None
    # The account a deposited virtual account is refunded to, as the books keep it (masked,
    # and a digest to tell a repeat's account apart); the whole account exists only in the
    # call that names it (`refund_account`), never in storage.
    refund_account_masked: str | None = None
    refund_account_digest: str | None = None
    refund_account: RefundAccount | None = field(default=None, repr=False, compare=False)

    def has_arguments(
        self,
        order_name: str,
        reason: str,
        amount: int | None,
        order_id: str | None,
        refund_account_digest: str | None,
    ) -> bool:
        # A request stored before names were kept in NFC may hold its name decomposed.
        return (
            unicodedata.normalize("NFC", self.order_name),
            self.reason,
            self.requested_amount,
            self.requested_order_id,
            self.refund_account_digest,
        ) == (order_name, reason, amount, order_id, refund_account_digest)


class InboxStatus(StrEnum):
    """Where a received webhook stands in the inbox (`webhook_inbox.status`)."""

    RECEIVED = "RECEIVED"
    PROCESSED = "PROCESSED"
    REJECTED = "REJECTED"
    # About something this service does not act on (foreign easy-pay cancels).
    IGNORED = "IGNORED"
    # Processing it raised: set aside for an operator.
    FAILED = "FAILED"


class WebhookEventType(StrEnum):
    """The webhooks Toss sends about payments (toss-api.md §8)."""

    PAYMENT_STATUS_CHANGED = "PAYMENT_STATUS_CHANGED"
    # Comes flat, with no eventType: named here by what it is.
    DEPOSIT_CALLBACK = "DEPOSIT_CALLBACK"
    CANCEL_STATUS_CHANGED = "CANCEL_STATUS_CHANGED"


@dataclass(frozen=True, slots=True)
class Webhook:
    """A webhook as received: only the identifiers read out of it, none of them trusted."""

    transmission_id: str
    event_type: WebhookEventType
    order_id: str | None
    payment_key: str | None
    claimed_status: str | None
    secret: str | None
    retried_count: int
    received_at: datetime
