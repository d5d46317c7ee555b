"""What the payment window accepts: Toss's rules for the values a merchant's page sends it."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from toss_sandbox.vocabulary.errors import TossApiError
from toss_sandbox.vocabulary.methods import BY_CODE, MethodChoice
from toss_sandbox.vocabulary.status import PaymentMethod

APPROVE: Final = "approve"
# The buyer the sandbox's window pretends to be when the merchant names none.
DEFAULT_CUSTOMER_NAME: Final = "김토스"
# And the phone it pays with when the merchant gives none: a well-formed test number.
DEFAULT_MOBILE_PHONE: Final = "01012345678"
DEFAULT_METHOD: Final = BY_CODE["CARD"]
MINIMUM_CARD_AMOUNT: Final = 100

# Shared with the browser SDK the sandbox serves (sdk.py), which checks the same.
ORDER_ID_PATTERN: Final = r"[A-Za-z0-9_-]{6,64}"
_ORDER_ID: Final = re.compile(ORDER_ID_PATTERN)
# Up to 15 digits keeps every amount exact as a JSON number in any client (< 2**53).
_AMOUNT: Final = re.compile(r"[0-9]{1,15}")
# The code sent back to failUrl; Toss's codes are upper-case words joined by underscores.
_FAIL_CODE: Final = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
TEST_CLIENT_KEY_PREFIXES: Final = ("test_ck_", "test_gck_")
MAX_ORDER_NAME_LENGTH: Final = 100
_MAX_CUSTOMER_NAME_LENGTH: Final = 100
# customerMobilePhone: digits only, 8 to 15 of them (toss-api.md §2.5).
_MOBILE_PHONE: Final = re.compile(r"[0-9]{8,15}")
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

    choice: MethodChoice
    customer_name: str
    # The phone a mobile-phone payment is charged to; None for other methods.
    customer_mobile_phone: str | None = None


@dataclass(frozen=True, slots=True)
class WindowDefaults:
    """What the window shows chosen when it opens: what the merchant's page sent it (the
    method the widget's buyer picked, the buyer's phone), else the sandbox's defaults."""

    choice: MethodChoice
    customer_mobile_phone: str
    # The buyer's name as the merchant's page sent it; "" leaves the sandbox's default.
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


def _choice(fields: Mapping[str, object]) -> MethodChoice:
    code = _field(fields, "method") or DEFAULT_METHOD.code
    choice = BY_CODE.get(code)
    if choice is None:
        codes = ", ".join(BY_CODE)
        raise TossApiError(
            "INVALID_REQUEST",
            (f"method는 {codes} 중 하나여야 합니다.", f"method must be one of {codes}."),
        )
    return choice


def _mobile_phone(text: str) -> str:
    # Buyers type their number with dashes; Toss takes the digits alone.
    digits = text.replace("-", "").strip()
    if not _MOBILE_PHONE.fullmatch(digits):
        raise TossApiError(
            "INVALID_REQUEST",
            (
                "customerMobilePhone은 8~15자리 숫자여야 합니다.",
                "customerMobilePhone must be 8 to 15 digits.",
            ),
        )
    return digits


def parse_authentication(fields: Mapping[str, object]) -> Authentication:
    """The method the buyer picked (a card unless `method` names another), their name, and
    for a mobile-phone payment the phone it is charged to."""
    choice = _choice(fields)
    customer_name = _field(fields, "customerName").strip() or DEFAULT_CUSTOMER_NAME
    if len(customer_name) > _MAX_CUSTOMER_NAME_LENGTH:
        raise TossApiError(
            "INVALID_REQUEST",
            (
                "customerName은 100자 이하여야 합니다.",
                "customerName must be at most 100 characters.",
            ),
        )
    phone = None
    if choice.method is PaymentMethod.MOBILE_PHONE:
        phone = _mobile_phone(_field(fields, "customerMobilePhone") or DEFAULT_MOBILE_PHONE)
    return Authentication(choice, customer_name, phone)


def window_defaults(fields: Mapping[str, object]) -> WindowDefaults:
    """What the window opens with chosen; a value it cannot use is left to the buyer."""
    choice = BY_CODE.get(_field(fields, "method"), DEFAULT_METHOD)
    phone = _field(fields, "customerMobilePhone").replace("-", "")
    if not _MOBILE_PHONE.fullmatch(phone):
        phone = DEFAULT_MOBILE_PHONE
    name = _field(fields, "customerName").strip()[:_MAX_CUSTOMER_NAME_LENGTH]
    return WindowDefaults(choice, phone, name)


def session_key(fields: Mapping[str, object]) -> str | None:
    """The paymentKey of the window the form was shown in; None for a form posted alone."""
    return _field(fields, "paymentKey") or None
