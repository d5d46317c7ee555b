"""Reading a stored Toss Payment object: the one reader of Toss's JSON outside the gateway.

A payment's method details (its virtual account, card, easy pay, transfer or mobile phone:
`Payment.virtualAccount`, `Payment.card`, …) are shown with the payment, long after Toss's
reply was read: the payments table keeps Toss's JSON in `raw`, and nothing else of them. Two
ways to give the stored `Payment` typed details were open:

- store them in columns of their own: a migration, and two copies of one fact (the
  columns and `raw`) that can disagree, for display fields nothing queries by;
- store nothing new, and read them from the stored `raw` whenever a payment is read.

This module takes the second. Each reading is a pure function over a `Mapping`, so the
domain owns it and both adapters call it: the gateway when it parses Toss's reply into a
`TossPayment`, and the database when it reads a `Payment` back (`db` may not import the
gateway). The details a payment carries are therefore the same whether it came from Toss a
moment ago or from the table, and no other code reads Toss's JSON after the gateway.

It reads leniently, as the GraphQL type did before it: the details are for display, and an
approval must be recorded even when Toss sends something odd in them. Each is None unless
Toss's field is an object. An account without an `accountNumber` string is no account, and
an easy pay without its `provider` string and two whole amounts is no easy pay: those are
the fields the API promises (non-null), and an amount is never guessed. Any other field of
the wrong type is unknown (None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .ports.gateway import EasyPay, MobilePhone, PaymentCard, Transfer, VirtualAccount


def virtual_account(payment: Mapping[str, Any]) -> VirtualAccount | None:
    """The `virtualAccount` of a Toss Payment object, or None when it has none."""
    account = payment.get("virtualAccount")
    if not isinstance(account, Mapping):
        return None
    number = account.get("accountNumber")
    if not isinstance(number, str):
        return None
    return VirtualAccount(
        account_number=number,
        bank_code=_text(account.get("bankCode")),
        customer_name=_text(account.get("customerName")),
        due_date=_text(account.get("dueDate")),
    )


def card(payment: Mapping[str, Any]) -> PaymentCard | None:
    """The `card` of a Toss Payment object, or None when it has none."""
    found = payment.get("card")
    if not isinstance(found, Mapping):
        return None
    return PaymentCard(
        issuer_code=_text(found.get("issuerCode")),
        number=_text(found.get("number")),
        installment_plan_months=_whole_number(found.get("installmentPlanMonths")),
        approve_no=_text(found.get("approveNo")),
    )


def easy_pay(payment: Mapping[str, Any]) -> EasyPay | None:
    """The `easyPay` of a Toss Payment object, or None when it has none."""
    found = payment.get("easyPay")
    if not isinstance(found, Mapping):
        return None
    provider = found.get("provider")
    amount = _whole_number(found.get("amount"))
    discount_amount = _whole_number(found.get("discountAmount"))
    if not isinstance(provider, str) or amount is None or discount_amount is None:
        return None
    return EasyPay(provider=provider, amount=amount, discount_amount=discount_amount)


def transfer(payment: Mapping[str, Any]) -> Transfer | None:
    """The `transfer` of a Toss Payment object, or None when it has none."""
    found = payment.get("transfer")
    if not isinstance(found, Mapping):
        return None
    return Transfer(bank_code=_text(found.get("bankCode")))


def mobile_phone(payment: Mapping[str, Any]) -> MobilePhone | None:
    """The `mobilePhone` of a Toss Payment object, or None when it has none."""
    found = payment.get("mobilePhone")
    if not isinstance(found, Mapping):
        return None
    return MobilePhone(
        customer_mobile_phone=_text(found.get("customerMobilePhone")),
        receipt_url=_text(found.get("receiptUrl")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _whole_number(value: object) -> int | None:
    """A count or KRW amount: Toss sends JSON numbers, which may come as `0.0` (toss-api.md
    §3); anything negative, fractional or not a number is unknown."""
    if isinstance(value, bool):  # bool is an int subclass; `true` is not a number
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None
