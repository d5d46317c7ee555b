"""Refunds of virtual accounts that were paid into: after such a cancel Toss sends the amount
to the buyer's refund account 2 days later (toss-api.md §2.4, §6) and reports how that went in
`virtualAccount.refundStatus` (toss-api.md §3.2): NONE while no refund was asked for, PENDING
until the money is sent, then COMPLETED, or FAILED (PARTIAL_FAILED for the refund of a partial
cancel) when the bank refused it.

A refund completes by the passing of time alone, so nothing is written when it does: its
status is read off the sandbox clock. Toss counts 2 business days; the sandbox counts 48
hours. Only a failure, which a test asks for through the admin switch, is stored. Toss
announces no refund's progress by webhook (toss-api.md §8.3 has no such event), and neither
does the sandbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import bindparam, update

from toss_sandbox.storage.database import Database
from toss_sandbox.storage.payment_store import Cancel, Payment, load_by_key
from toss_sandbox.storage.tables import payment_cancels
from toss_sandbox.vocabulary.errors import TossApiError

REFUND_DELAY: Final = timedelta(days=2)


class RefundStatus(StrEnum):
    NONE = "NONE"
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    PARTIAL_FAILED = "PARTIAL_FAILED"


_FAILED: Final = frozenset({RefundStatus.FAILED, RefundStatus.PARTIAL_FAILED})


class NoPendingRefund(Exception):
    """The payment has no refund still waiting to be sent."""


def completes_at(cancel: Cancel) -> datetime:
    return cancel.canceled_at + REFUND_DELAY


def refund_state(payment: Payment, cancel: Cancel, now: datetime) -> RefundStatus:
    """Where the refund of one cancel stands at `now`."""
    if cancel.refund is None:
        return RefundStatus.NONE
    if cancel.refund.failed_at is not None:
        partial = cancel.cancel_amount < payment.total_amount
        return RefundStatus.PARTIAL_FAILED if partial else RefundStatus.FAILED
    return RefundStatus.PENDING if now < completes_at(cancel) else RefundStatus.COMPLETED


def refund_status(payment: Payment, now: datetime) -> RefundStatus:
    """The payment's one `refundStatus` over all its refunds. Toss documents the values, not
    how several refunds combine; the sandbox shows the latest failure first, so that a later
    refund never hides one, then PENDING while any is being sent, then COMPLETED."""
    states = [refund_state(payment, cancel, now) for cancel in payment.cancels if cancel.refund]
    failed = [state for state in states if state in _FAILED]
    if failed:
        return failed[-1]
    if RefundStatus.PENDING in states:
        return RefundStatus.PENDING
    return RefundStatus.COMPLETED if states else RefundStatus.NONE


# Every refund of the payment not yet sent, i.e. asked for less than REFUND_DELAY ago.
_FAIL_PENDING: Final = (
    update(payment_cancels)
    .where(
        payment_cancels.c.payment_key == bindparam("key"),
        payment_cancels.c.refund_bank_code.is_not(None),
        payment_cancels.c.refund_failed_at.is_(None),
        payment_cancels.c.canceled_at > bindparam("asked_after"),
    )
    .values(refund_failed_at=bindparam("now"))
)


async def fail_pending_refunds(database: Database, payment_key: str, now: datetime) -> Payment:
    """The bank refuses every refund of the payment still waiting to be sent: what a test
    asks for to see FAILED or PARTIAL_FAILED. Raises NoPendingRefund when there is none."""
    async with database.write() as connection:
        if await load_by_key(connection, payment_key) is None:
            raise TossApiError("NOT_FOUND_PAYMENT")
        result = await connection.execute(
            _FAIL_PENDING, {"key": payment_key, "asked_after": now - REFUND_DELAY, "now": now}
        )
        if result.rowcount == 0:
            raise NoPendingRefund(payment_key)
        payment = await load_by_key(connection, payment_key)
    assert payment is not None
    return payment
