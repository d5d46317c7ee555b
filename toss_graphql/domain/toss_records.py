"""Reading a stored Toss Payment object: the one reader of Toss's JSON outside the gateway.

A payment's virtual account is shown with the payment (`Payment.virtualAccount`), long after
Toss's reply was read: the payments table keeps Toss's JSON in `raw`, and nothing else of the
account. Two ways to give the stored `Payment` a typed account were open:

- store the account in columns of its own: a migration, and two copies of one fact (the
  columns and `raw`) that can disagree, for four display fields nothing queries by;
- store nothing new, and read the account from the stored `raw` whenever a payment is read.

This module takes the second. The reading is a pure function over a `Mapping`, so the domain
owns it and both adapters call it: the gateway when it parses Toss's reply into a
`TossPayment`, and the database when it reads a `Payment` back (`db` may not import the
gateway). The account a payment carries is therefore the same whether it came from Toss a
moment ago or from the table, and no other code reads Toss's JSON after the gateway.

It reads leniently, as the GraphQL type did before it: the account is for display, and an
approval must be recorded even when Toss sends something odd in it. An account without an
`accountNumber` string is no account; any other field that is not a string is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .ports.gateway import VirtualAccount


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


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
