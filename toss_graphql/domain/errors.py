"""Expected business failures: each becomes a `PaymentError` in a GraphQL payload."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INVALID_INPUT = "INVALID_INPUT"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    ALREADY_PAID = "ALREADY_PAID"
    CONFIRM_IN_PROGRESS = "CONFIRM_IN_PROGRESS"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PAYMENT_REJECTED = "PAYMENT_REJECTED"
    INVALID_STATE = "INVALID_STATE"
    GATEWAY_UNAVAILABLE = "GATEWAY_UNAVAILABLE"
    AMBIGUOUS_ORDER = "AMBIGUOUS_ORDER"
    NOT_CANCELABLE = "NOT_CANCELABLE"
    CANCEL_AMOUNT_EXCEEDED = "CANCEL_AMOUNT_EXCEEDED"
    CANCEL_IN_PROGRESS = "CANCEL_IN_PROGRESS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # A deposited virtual account is refunded to a bank account the buyer names.
    REFUND_ACCOUNT_REQUIRED = "REFUND_ACCOUNT_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"


class DomainError(Exception):
    """A refusal the caller can act on; never a bug."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        gateway_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.gateway_code = gateway_code


def invalid_input(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field=field)


def order_not_found(order_id: str) -> DomainError:
    # The same answer for a missing order and another buyer's: existence is not revealed.
    return DomainError(ErrorCode.ORDER_NOT_FOUND, f"order {order_id!r} not found", field="orderId")
