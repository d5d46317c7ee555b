"""What the payment window accepts: Toss's rules for the values a merchant's page sends it."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from toss_sandbox.errors import TossApiError
from toss_sandbox.status import PaymentMethod

APPROVE: Final = "approve"
# The buyer the sandbox's window pretends to be when the merchant names none.
DEFAULT_CUSTOMER_NAME: Final = "김토스"
MINIMUM_CARD_AMOUNT: Final = 100

# Shared with the browser SDK the sandbox serves (toss_sandbox/sdk.py), which checks the same.
ORDER_ID_PATTERN: Final = r"[A-Za-z0-9_-]{6,64}"
_ORDER_ID: Final = re.compile(ORDER_ID_PATTERN)
# Up to 15 digits keeps every amount exact as a JSON number in any client (< 2**53).
_AMOUNT: Final = re.compile(r"[0-9]{1,15}")
# The code sent back to failUrl; Toss's codes are upper-case words joined by underscores.
_FAIL_CODE: Final = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
TEST_CLIENT_KEY_PREFIXES: Final = ("test_ck_", "test_gck_")
MAX_ORDER_NAME_LENGTH: Final = 100
_MAX_CUSTOMER_NAME_LENGTH: Final = 100
MAX_URL_LENGTH: Final = 2048


@dataclass(frozen=True, slots=True)
class CheckoutOrder:
    client_key: str
    order_id: str
    order_name: str
    amount: int
    success_url: str
    fail_url: str


@dataclass(frozen=True, slots=True)
class Authentication:
    """What the buyer chose in the window."""

    method: PaymentMethod
    customer_name: str


def _field(fields: Mapping[str, object], name: str) -> str:
    value = fields.get(name)
    return value if isinstance(value, str) else ""


def _check_client_key(client_key: str, configured: str | None) -> None:
    if configured is not None:
        accepted = hmac.compare_digest(client_key.encode(), configured.encode())
    else:
        accepted = any(
            client_key.startswith(prefix) and len(client_key) > len(prefix)
            for prefix in TEST_CLIENT_KEY_PREFIXES
        )
    if not accepted:
        raise TossApiError("INVALID_CLIENT_KEY")


def _is_web_url(url: str) -> bool:
    if not url or len(url) > MAX_URL_LENGTH:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _amount(text: str) -> int:
    if not _AMOUNT.fullmatch(text):
        raise TossApiError(
            "INVALID_REQUEST",
            ("결제 금액(amount)은 정수여야 합니다.", "amount must be a whole number."),
        )
    amount = int(text)
    if amount < MINIMUM_CARD_AMOUNT:
        raise TossApiError("BELOW_MINIMUM_AMOUNT")
    return amount


def parse_order(fields: Mapping[str, object], configured_client_key: str | None) -> CheckoutOrder:
    """The order the window was opened for; raises TossApiError naming the first bad value."""
    client_key = _field(fields, "clientKey")
    _check_client_key(client_key, configured_client_key)
    order_id = _field(fields, "orderId")
    if not _ORDER_ID.fullmatch(order_id):
        raise TossApiError("INVALID_ORDER_ID")
    order_name = _field(fields, "orderName")
    if not order_name.strip() or len(order_name) > MAX_ORDER_NAME_LENGTH:
        raise TossApiError("INVALID_ORDER_NAME")
    amount = _amount(_field(fields, "amount"))
    success_url = _field(fields, "successUrl")
    if not _is_web_url(success_url):
        raise TossApiError("INCORRECT_SUCCESS_URL_FORMAT")
    fail_url = _field(fields, "failUrl")
    if not _is_web_url(fail_url):
        raise TossApiError("INCORRECT_FAIL_URL_FORMAT")
    return CheckoutOrder(client_key, order_id, order_name, amount, success_url, fail_url)


def parse_decision(fields: Mapping[str, object]) -> str:
    """`approve`, or the error code the buyer's failure sends to failUrl."""
    decision = _field(fields, "decision")
    if decision != APPROVE and not _FAIL_CODE.fullmatch(decision):
        raise TossApiError(
            "INVALID_REQUEST",
            (
                "decision은 approve 또는 실패 코드(예: PAY_PROCESS_CANCELED)여야 합니다.",
                "decision must be 'approve' or a failure code such as PAY_PROCESS_CANCELED.",
            ),
        )
    return decision


def parse_authentication(fields: Mapping[str, object]) -> Authentication:
    """The method the buyer picked (a card unless `method=VIRTUAL_ACCOUNT`) and their name."""
    method = _field(fields, "method") or PaymentMethod.CARD
    if method not in PaymentMethod.__members__:
        raise TossApiError(
            "INVALID_REQUEST",
            (
                "method는 CARD 또는 VIRTUAL_ACCOUNT여야 합니다.",
                "method must be CARD or VIRTUAL_ACCOUNT.",
            ),
        )
    customer_name = _field(fields, "customerName").strip() or DEFAULT_CUSTOMER_NAME
    if len(customer_name) > _MAX_CUSTOMER_NAME_LENGTH:
        raise TossApiError(
            "INVALID_REQUEST",
            (
                "customerName은 100자 이하여야 합니다.",
                "customerName must be at most 100 characters.",
            ),
        )
    return Authentication(PaymentMethod(method), customer_name)


def session_key(fields: Mapping[str, object]) -> str | None:
    """The paymentKey of the window the form was shown in; None for a form posted alone."""
    return _field(fields, "paymentKey") or None
