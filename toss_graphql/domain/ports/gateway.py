"""What the domain needs from the payment gateway, and what it may raise.

The domain owns this contract; `toss_graphql.gateway` implements it over HTTP and tests
hand the domain fakes that implement it too. The gateway hands over typed records: every
fact the domain acts on has a field here, and `raw` (Toss's JSON as received) is kept only
to be stored, never read by the domain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class Checkout(StrEnum):
    """Which of the merchant's two Toss key sets a payment was started with: the payment
    window's ("API 개별 연동", `…_ck_` / `…_sk_`) or the payment widget's (`…_gck_` /
    `…_gsk_`). Toss takes every call about a payment with the secret key of its set only
    (toss-api.md §1), so each call says which."""

    PAYMENT_WINDOW = "PAYMENT_WINDOW"
    WIDGET = "WIDGET"


@dataclass(frozen=True, slots=True)
class RefundAccount:
    """The bank account a deposited virtual account is refunded to: Toss's
    `refundReceiveAccount` (toss-api.md §2.4). It is sent to Toss and never stored or logged
    whole: `masked` is what the books keep."""

    bank: str
    account_number: str = field(repr=False)
    holder_name: str = field(repr=False)

    @property
    def masked(self) -> str:
        """The bank code, the number's last four digits, the holder's first and last letters:
        enough for a buyer to recognise the account, too little to use it."""
        number = "*" * max(len(self.account_number) - 4, 0) + self.account_number[-4:]
        name = self.holder_name
        holder = name[0] + "*" * max(len(name) - 2, 1) + (name[-1] if len(name) > 2 else "")
        return f"{self.bank} {number} {holder}"

    @property
    def digest(self) -> str:
        """Tells two accounts apart without keeping either: a repeat of a cancel must name
        the account its first call named."""
        text = "\x1f".join((self.bank, self.account_number, self.holder_name))
        return hashlib.sha256(text.encode()).hexdigest()


class TossPaymentStatus(StrEnum):
    """A Toss Payment's `status` (toss-api.md §3.2).

    The set is closed for API version 2022-11-16: the gateway refuses any other status as an
    invalid reply (see `toss_graphql.gateway.payment_json`), so the domain never meets one.
    """

    READY = "READY"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_FOR_DEPOSIT = "WAITING_FOR_DEPOSIT"
    DONE = "DONE"
    CANCELED = "CANCELED"
    PARTIAL_CANCELED = "PARTIAL_CANCELED"
    ABORTED = "ABORTED"
    EXPIRED = "EXPIRED"


class TossCancelStatus(StrEnum):
    """A cancel's `cancelStatus` (toss-api.md §3.1): DONE once the money moved; only
    asynchronous (foreign easy-pay) cancels are ever IN_PROGRESS or ABORTED."""

    DONE = "DONE"
    IN_PROGRESS = "IN_PROGRESS"
    ABORTED = "ABORTED"


@dataclass(frozen=True, slots=True)
class TossFailure:
    """A failed payment's `failure` (toss-api.md §3): `code` is never empty; `message` is
    empty when Toss gave none."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class VirtualAccount:
    """Where the buyer pays a virtual-account payment in (a Payment's `virtualAccount`)."""

    account_number: str
    bank_code: str | None = None
    customer_name: str | None = None
    # As Toss gives it: Korean time, without an offset (toss-api.md §3).
    due_date: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentCard:
    """The card a payment was made with (a Payment's `card`, toss-api.md §3)."""

    # Toss's two-character card company code (toss-api.md §3.3), e.g. `11`.
    issuer_code: str | None = None
    # Masked by Toss, e.g. `43301234****123*`.
    number: str | None = None
    # 0 is a lump sum.
    installment_plan_months: int | None = None
    approve_no: str | None = None


@dataclass(frozen=True, slots=True)
class EasyPay:
    """An easy payment's service and what it paid (a Payment's `easyPay`, toss-api.md §3)."""

    # As Toss names it, in Korean: `토스페이`, `네이버페이`, `카카오페이`, …
    provider: str
    # Paid from the account or cash-like points registered with the service, in KRW.
    amount: int
    # Taken off at once by the service's points or coupons, in KRW.
    discount_amount: int


@dataclass(frozen=True, slots=True)
class Transfer:
    """A bank transfer payment's bank (a Payment's `transfer`, toss-api.md §3)."""

    # Toss's two-digit bank code (toss-api.md §3.3), e.g. `88`.
    bank_code: str | None = None


@dataclass(frozen=True, slots=True)
class MobilePhone:
    """A mobile phone payment (a Payment's `mobilePhone`, toss-api.md §3)."""

    # Toss does not mask it: left out of the repr, as a payment's `secret` is.
    customer_mobile_phone: str | None = field(default=None, repr=False)
    receipt_url: str | None = None


@dataclass(frozen=True, slots=True)
class TossCancel:
    """One entry of a Toss Payment's `cancels[]`."""

    transaction_key: str
    cancel_amount: int
    cancel_reason: str
    canceled_at: datetime
    refundable_amount: int
    cancel_status: TossCancelStatus
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TossPayment:
    """The parts of a Toss Payment object the service acts on, plus the raw JSON to store."""

    payment_key: str
    order_id: str
    order_name: str
    status: TossPaymentStatus
    method: str | None
    total_amount: int
    balance_amount: int
    approved_at: datetime | None
    receipt_url: str | None
    cancels: tuple[TossCancel, ...] = ()
    # Why an ABORTED or EXPIRED payment failed, when Toss says.
    failure: TossFailure | None = None
    virtual_account: VirtualAccount | None = None
    card: PaymentCard | None = None
    easy_pay: EasyPay | None = None
    transfer: Transfer | None = None
    mobile_phone: MobilePhone | None = None
    # What authenticates this payment's DEPOSIT_CALLBACK webhooks (toss-api.md §8.3).
    secret: str | None = field(default=None, repr=False)
    # The latest approval or cancel (toss-api.md §3): a cancel's reply names its own here.
    last_transaction_key: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


# Toss refuses these because of this service's credentials, not the buyer's payment.
CREDENTIAL_ERRORS = frozenset(
    {"UNAUTHORIZED_KEY", "INVALID_API_KEY", "INCORRECT_BASIC_AUTH_FORMAT"}
)


class GatewayError(Exception):
    """Base of every failure the gateway reports."""


class GatewayRejected(GatewayError):
    """Toss answered and said no: the request did not take effect."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(f"{code} ({http_status}): {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


class GatewayTechnicalError(GatewayError):
    """No usable answer (network failure, timeout, 5xx, a request still processing).

    For a call that moves money the outcome is unknown: Toss may have acted on it.
    """


class GatewayReplyInvalid(GatewayTechnicalError):
    """Toss answered 2xx, but the body is not JSON or disagrees with what was asked."""


class PaymentGateway(Protocol):
    async def confirm(
        self, *, payment_key: str, order_id: str, amount: int, checkout: Checkout
    ) -> TossPayment:
        """Approve an authenticated checkout (`POST /v1/payments/confirm`)."""
        ...

    async def cancel(
        self,
        *,
        payment_key: str,
        cancel_reason: str,
        cancel_amount: int | None,
        refundable_amount: int | None,
        idempotency_key: str,
        checkout: Checkout,
        refund_account: RefundAccount | None,
    ) -> TossPayment:
        """Cancel all (`cancel_amount=None`) or part of a payment
        (`POST /v1/payments/{paymentKey}/cancel`).

        `refundable_amount` is the caller's view of the balance: Toss refuses the cancel
        when it differs from Toss's own, so a stale view can never refund the wrong amount.
        Every attempt carries `idempotency_key`, so a retried cancel is applied at most once.
        """
        ...

    async def get_payment(self, payment_key: str, *, checkout: Checkout) -> TossPayment:
        """Read a payment by its key (`GET /v1/payments/{paymentKey}`)."""
        ...

    async def get_payment_by_order_id(self, order_id: str, *, checkout: Checkout) -> TossPayment:
        """Read a payment by the merchant's order id (`GET /v1/payments/orders/{orderId}`)."""
        ...
