"""What the domain needs from the payment gateway, and what it may raise.

The domain owns this contract; `toss_graphql.gateway` implements it over HTTP and tests
hand the domain fakes that implement it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class TossCancel:
    """One entry of a Toss Payment's `cancels[]`."""

    transaction_key: str
    cancel_amount: int
    cancel_reason: str
    canceled_at: datetime
    refundable_amount: int
    cancel_status: str
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TossPayment:
    """The parts of a Toss Payment object the service acts on, plus the raw JSON for audit."""

    payment_key: str
    order_id: str
    order_name: str
    status: str
    method: str | None
    total_amount: int
    balance_amount: int
    approved_at: datetime | None
    receipt_url: str | None
    cancels: tuple[TossCancel, ...] = ()
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
    async def confirm(self, *, payment_key: str, order_id: str, amount: int) -> TossPayment:
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
    ) -> TossPayment:
        """Cancel all (`cancel_amount=None`) or part of a payment
        (`POST /v1/payments/{paymentKey}/cancel`).

        `refundable_amount` is the caller's view of the balance: Toss refuses the cancel
        when it differs from Toss's own, so a stale view can never refund the wrong amount.
        Every attempt carries `idempotency_key`, so a retried cancel is applied at most once.
        """
        ...

    async def get_payment(self, payment_key: str) -> TossPayment:
        """Read a payment by its key (`GET /v1/payments/{paymentKey}`)."""
        ...

    async def get_payment_by_order_id(self, order_id: str) -> TossPayment:
        """Read a payment by the merchant's order id (`GET /v1/payments/orders/{orderId}`)."""
        ...
