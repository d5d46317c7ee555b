"""The JSON bodies of Toss's POST calls, checked as Toss checks them (toss-api.md §2).

Anything malformed is 400 INVALID_REQUEST, with a message that names the field.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from toss_sandbox.lifecycle.cancels import CancelRequest
from toss_sandbox.lifecycle.payments import ConfirmRequest
from toss_sandbox.vocabulary.errors import invalid_request

_MAX_PAYMENT_KEY_LENGTH: Final = 200
_MAX_CANCEL_REASON_LENGTH: Final = 200
# The only currency the sandbox charges in; a cancel's currency must equal the payment's.
_CURRENCY: Final = "KRW"


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        # RecursionError: a body nested past Python's recursion limit is not Toss's JSON.
        raise invalid_request("body", "JSON 형식이 아닙니다.", "not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_request("body", "JSON 객체여야 합니다.", "must be a JSON object.")
    return body


def _whole_number(value: object) -> int | None:
    # Toss types amounts as JSON numbers, and its JSON parser also takes a numeric string:
    # Toss's own Django sample forwards `amount` as the string read from the success URL.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _amount(field: str, value: object, *, minimum: int) -> int:
    amount = _whole_number(value)
    if amount is None:
        raise invalid_request(field, "정수여야 합니다.", "must be a whole number.")
    if amount < minimum:
        raise invalid_request(
            field, f"{minimum} 이상이어야 합니다.", f"must be at least {minimum}."
        )
    return amount


def _optional_amount(body: dict[str, Any], field: str, *, minimum: int) -> int | None:
    # An explicit null reads as absent, as Toss's optional fields do.
    value = body.get(field)
    return None if value is None else _amount(field, value, minimum=minimum)


def parse_confirm_request(raw: bytes) -> ConfirmRequest:
    body = _json_object(raw)
    payment_key = body.get("paymentKey")
    if not isinstance(payment_key, str) or not 1 <= len(payment_key) <= _MAX_PAYMENT_KEY_LENGTH:
        raise invalid_request(
            "paymentKey",
            "200자 이하의 문자열이어야 합니다.",
            "must be a string of at most 200 characters.",
        )
    order_id = body.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise invalid_request("orderId", "필수 문자열입니다.", "is a required string.")
    if "amount" not in body:
        raise invalid_request("amount", "필수 값입니다.", "is required.")
    return ConfirmRequest(
        payment_key=payment_key,
        order_id=order_id,
        amount=_amount("amount", body["amount"], minimum=1),
    )


def parse_cancel_request(raw: bytes) -> CancelRequest:
    body = _json_object(raw)
    reason = body.get("cancelReason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > _MAX_CANCEL_REASON_LENGTH:
        raise invalid_request(
            "cancelReason",
            "1자 이상 200자 이하의 필수 문자열입니다.",
            "is a required string of 1 to 200 characters.",
        )
    currency = body.get("currency")
    if currency is not None and currency != _CURRENCY:
        raise invalid_request(
            "currency", "결제 통화(KRW)와 같아야 합니다.", "must be KRW, the payment's."
        )
    return CancelRequest(
        cancel_reason=reason,
        cancel_amount=_optional_amount(body, "cancelAmount", minimum=1),
        refundable_amount=_optional_amount(body, "refundableAmount", minimum=0),
        tax_free_amount=_optional_amount(body, "taxFreeAmount", minimum=0) or 0,
        # Checked only once the payment is known: Toss reads it for a deposited virtual
        # account alone (lifecycle/refund_accounts.py).
        refund_receive_account=body.get("refundReceiveAccount"),
    )
