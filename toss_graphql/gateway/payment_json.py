"""Reading a Toss Payment object (API version 2022-11-16) into the domain's `TossPayment`.

Only the fields the service acts on are checked; everything else stays in `raw`, and unknown
fields are ignored because Toss adds fields without a new API version (toss-api.md §1).
Anything ill-typed is `GatewayReplyInvalid`: a payment we cannot read is not a payment we
may act on. Messages name the field, never its value, so no reply content reaches the logs.

The facts that explain a payment rather than decide its fate (`failure`, the method objects
`virtualAccount`, `card`, `easyPay`, `transfer` and `mobilePhone`, `secret`,
`lastTransactionKey`) are read leniently, each to None when absent or ill-typed: an approval
Toss made must be recorded even if a display field is odd, and the domain treats a missing
one safely (a default failure, no method details, a secret that never matches, the latest
cancel in `cancels`).

A status outside toss-api.md §3.2 is an invalid reply, not mapped to anything. Toss
documents the set as closed for this API version; a status the service has no rule for
cannot be acted on safely, and guessing what it means is what the service never does with
money (docs/architecture.md §3.2). As an invalid reply it is an unknown outcome: a confirm
or a cancel stays pending and a webhook stays in the inbox, and reconciliation reads the
payment again later, handing the order to an operator if it never becomes readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from ..domain import toss_records
from ..domain.ports.gateway import (
    GatewayReplyInvalid,
    TossCancel,
    TossCancelStatus,
    TossFailure,
    TossPayment,
    TossPaymentStatus,
)

_Status = TypeVar("_Status", bound=StrEnum)


def parse_payment(body: Mapping[str, Any]) -> TossPayment:
    """The `TossPayment` in a 2xx body; `raw` keeps the body itself, to be stored."""
    receipt = _optional_object(body, "receipt", "payment")
    return TossPayment(
        payment_key=_text(body, "paymentKey", "payment"),
        order_id=_text(body, "orderId", "payment"),
        order_name=_text(body, "orderName", "payment"),
        status=_status(body, "status", "payment", TossPaymentStatus),
        method=_optional_text(body, "method", "payment"),
        total_amount=_amount(body, "totalAmount", "payment"),
        balance_amount=_amount(body, "balanceAmount", "payment"),
        approved_at=_optional_timestamp(body, "approvedAt", "payment"),
        receipt_url=None if receipt is None else _optional_text(receipt, "url", "receipt"),
        cancels=tuple(_parse_cancel(entry) for entry in _optional_objects(body, "cancels")),
        failure=_failure(body),
        virtual_account=toss_records.virtual_account(body),
        card=toss_records.card(body),
        easy_pay=toss_records.easy_pay(body),
        transfer=toss_records.transfer(body),
        mobile_phone=toss_records.mobile_phone(body),
        secret=_lenient_text(body, "secret"),
        last_transaction_key=_lenient_text(body, "lastTransactionKey"),
        raw=body,
    )


def _parse_cancel(body: Mapping[str, Any]) -> TossCancel:
    """One `cancels[]` entry; `raw` keeps a copy of the entry, to be stored."""
    return TossCancel(
        transaction_key=_text(body, "transactionKey", "cancel"),
        cancel_amount=_amount(body, "cancelAmount", "cancel"),
        cancel_reason=_text(body, "cancelReason", "cancel"),
        canceled_at=_timestamp(body, "canceledAt", "cancel"),
        refundable_amount=_amount(body, "refundableAmount", "cancel"),
        cancel_status=_status(body, "cancelStatus", "cancel", TossCancelStatus),
        raw=dict(body),
    )


def _status(body: Mapping[str, Any], key: str, owner: str, statuses: type[_Status]) -> _Status:
    """One of `statuses`; any other value is an invalid reply (see the module docstring)."""
    value = _text(body, key, owner)
    try:
        return statuses(value)
    except ValueError:
        raise _invalid(owner, key, "is not a status this service knows") from None


def _failure(body: Mapping[str, Any]) -> TossFailure | None:
    """`failure` of an ABORTED or EXPIRED payment; None unless it is an object with a code."""
    failure = body.get("failure")
    if not isinstance(failure, Mapping):
        return None
    code = _lenient_text(failure, "code")
    if not code:
        return None
    return TossFailure(code, _lenient_text(failure, "message") or "")


def _lenient_text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def _invalid(owner: str, key: str, problem: str) -> GatewayReplyInvalid:
    return GatewayReplyInvalid(f"{owner} `{key}` {problem}")


def _text(body: Mapping[str, Any], key: str, owner: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise _invalid(owner, key, "is missing or not a string")
    return value


def _optional_text(body: Mapping[str, Any], key: str, owner: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise _invalid(owner, key, "is not a string")
    return value


def _amount(body: Mapping[str, Any], key: str, owner: str) -> int:
    """A money amount as an int.

    Amounts are JSON numbers since API 1.4 and may come as `10000.0` (toss-api.md §3); KRW
    has no fractions, so a whole float is the same amount and anything else is not money.
    """
    value = body.get(key)
    if isinstance(value, bool):  # bool is an int subclass; `true` is not an amount
        raise _invalid(owner, key, "is not a number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise _invalid(owner, key, "is missing or not a whole number")
    if value < 0:
        raise _invalid(owner, key, "is negative")
    return value


def _optional_timestamp(body: Mapping[str, Any], key: str, owner: str) -> datetime | None:
    if body.get(key) is None:
        return None
    return _timestamp(body, key, owner)


def _timestamp(body: Mapping[str, Any], key: str, owner: str) -> datetime:
    """An aware datetime: Toss sends `yyyy-MM-dd'T'HH:mm:ss±hh:mm` (toss-api.md §3)."""
    value = _text(body, key, owner)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(owner, key, "is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise _invalid(owner, key, "has no UTC offset")
    return parsed


def _optional_object(body: Mapping[str, Any], key: str, owner: str) -> Mapping[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise _invalid(owner, key, "is not an object")
    return value


def _optional_objects(body: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """A nullable array of objects; `cancels` is null on a payment never canceled."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise _invalid("payment", key, "is not an array of objects")
    return value
