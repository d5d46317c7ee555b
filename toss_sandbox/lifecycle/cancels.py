"""Canceling a payment, whole or in part (`POST /v1/payments/{paymentKey}/cancel`): an
approved one, or a virtual account still waiting for its deposit (whole only). A virtual
account that was paid into is refunded to the account the cancel names (refund_accounts.py),
and the refund is recorded with the cancel (refunds.py follows it).

The checks and the change run in the caller's write transaction (`BEGIN IMMEDIATE` on
SQLite, so no other cancel of the payment can slip between them, in this process or
another), and the change is a conditional UPDATE on the status and balance the checks saw.
Where writers can interleave (PostgreSQL), a cancel that lost the race finds the payment
changed and is refused, so concurrent cancels never take more than the balance. A refusal is
raised before anything is written, so the caller may still commit the rest of its
transaction (its log entry, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.lifecycle.refund_accounts import refund_account_for
from toss_sandbox.storage.payment_store import (
    Cancel,
    Payment,
    Refund,
    RefundAccount,
    load_by_key,
    payment_from_row,
)
from toss_sandbox.storage.tables import payment_cancels, payments
from toss_sandbox.vocabulary.errors import TossApiError
from toss_sandbox.vocabulary.keys import new_receipt_key, new_transaction_key
from toss_sandbox.vocabulary.status import CANCELABLE, PaymentStatus, check_transition

# Toss: of two cancel requests for one paymentKey within a second, only the first is
# processed; the second gets FORBIDDEN_CONSECUTIVE_REQUEST (toss-api.md §2.4).
CONSECUTIVE_WINDOW: Final = timedelta(seconds=1)

# The SET clause comes from the values it is executed with; the WHERE clause's parameters
# are named apart from the columns.
_CANCEL: Final = (
    update(payments)
    .where(
        payments.c.payment_key == bindparam("expected_key"),
        payments.c.status == bindparam("expected_status"),
        payments.c.balance_amount == bindparam("expected_balance"),
    )
    .returning(*payments.c)
)
_RECORD_CANCEL: Final = payment_cancels.insert()


@dataclass(frozen=True, slots=True)
class CancelRequest:
    cancel_reason: str
    # None cancels the whole remaining balance.
    cancel_amount: int | None
    # The caller's view of the balance, checked when given.
    refundable_amount: int | None
    tax_free_amount: int
    # `refundReceiveAccount` as sent (any JSON value, or None when absent); what it must be
    # depends on the payment (refund_accounts.py).
    refund_receive_account: object = None


def _refund_columns(account: RefundAccount | None) -> dict[str, str | None]:
    return {
        "refund_bank_code": None if account is None else account.bank_code,
        "refund_account_number": None if account is None else account.account_number,
        "refund_holder_name": None if account is None else account.holder_name,
    }


def _amount_to_cancel(payment: Payment, request: CancelRequest, now: datetime) -> int:
    """The amount this cancel takes off the balance; raises Toss's refusal otherwise."""
    if payment.status is PaymentStatus.CANCELED:
        raise TossApiError("ALREADY_CANCELED_PAYMENT")
    if payment.status not in CANCELABLE:
        raise TossApiError("NOT_CANCELABLE_PAYMENT")
    last_canceled_at = payment.last_canceled_at
    # A clock behind the last cancel (another process's) counts as within the window.
    if last_canceled_at is not None and now - last_canceled_at < CONSECUTIVE_WINDOW:
        raise TossApiError("FORBIDDEN_CONSECUTIVE_REQUEST")
    if (
        request.refundable_amount is not None
        and request.refundable_amount != payment.balance_amount
    ):
        raise TossApiError("NOT_MATCHES_REFUNDABLE_AMOUNT")
    amount = payment.balance_amount if request.cancel_amount is None else request.cancel_amount
    if amount > payment.balance_amount:
        raise TossApiError("NOT_CANCELABLE_AMOUNT")
    if payment.status is PaymentStatus.WAITING_FOR_DEPOSIT and amount != payment.balance_amount:
        # Before its deposit a virtual account is canceled whole or not at all (toss-api.md §2.4).
        raise TossApiError("NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT")
    if request.tax_free_amount > min(payment.tax_free_amount, amount):
        raise TossApiError(
            "INVALID_REQUEST",
            (
                "잘못된 요청입니다. taxFreeAmount: 취소 가능한 면세 금액을 넘을 수 없습니다.",
                "The request is invalid. taxFreeAmount: exceeds the cancelable tax-free amount.",
            ),
        )
    return amount


async def _apply(
    connection: AsyncConnection,
    payment: Payment,
    request: CancelRequest,
    amount: int,
    refund_account: RefundAccount | None,
    now: datetime,
) -> Payment | None:
    """Record the cancel; the canceled payment, or None when it changed since it was read."""
    balance = payment.balance_amount - amount
    # Toss: CANCELED once the balance is gone, by one full cancel or partial ones summing
    # to the total; PARTIAL_CANCELED while any balance is left.
    target = PaymentStatus.CANCELED if balance == 0 else PaymentStatus.PARTIAL_CANCELED
    check_transition(payment.status, target, payment.method)
    cancel = Cancel(
        transaction_key=new_transaction_key(),
        cancel_amount=amount,
        cancel_reason=request.cancel_reason,
        tax_free_amount=request.tax_free_amount,
        refundable_amount=balance,
        canceled_at=now,
        receipt_key=new_receipt_key(),
        refund=None if refund_account is None else Refund(refund_account),
    )
    expected = {
        "expected_key": payment.payment_key,
        "expected_status": payment.status,
        "expected_balance": payment.balance_amount,
    }
    changes = {
        "status": target,
        "balance_amount": balance,
        "last_transaction_key": cancel.transaction_key,
    }
    row = (await connection.execute(_CANCEL, {**expected, **changes})).first()
    if row is None:
        return None
    await connection.execute(
        _RECORD_CANCEL,
        {
            "payment_key": payment.payment_key,
            "sequence": len(payment.cancels) + 1,
            "transaction_key": cancel.transaction_key,
            "cancel_amount": cancel.cancel_amount,
            "cancel_reason": cancel.cancel_reason,
            "tax_free_amount": cancel.tax_free_amount,
            "refundable_amount": cancel.refundable_amount,
            "canceled_at": cancel.canceled_at,
            "receipt_key": cancel.receipt_key,
            **_refund_columns(refund_account),
        },
    )
    return payment_from_row(row, (*payment.cancels, cancel))


async def cancel_in(
    connection: AsyncConnection,
    payment_key: str,
    request: CancelRequest,
    now: datetime,
    outbox: Outbox,
) -> Payment:
    """Cancel `request.cancel_amount` (or the whole balance) of a payment, in the caller's
    write transaction; raises Toss's refusal, having written nothing."""
    payment = await load_by_key(connection, payment_key)
    if payment is None:
        raise TossApiError("NOT_FOUND_PAYMENT")
    amount = _amount_to_cancel(payment, request, now)
    refund_account = refund_account_for(payment, request.refund_receive_account)
    canceled = await _apply(connection, payment, request, amount, refund_account, now)
    if canceled is None:
        # Another cancel of this payment committed between our read and our write.
        raise TossApiError("FORBIDDEN_CONSECUTIVE_REQUEST")
    await outbox.payment_changed(connection, canceled, now)
    return canceled
