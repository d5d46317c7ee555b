"""Toss's two time limits on an unfinished payment (toss-api.md §6).

A window opened (READY) must be authenticated within 30 minutes; an authenticated payment
(IN_PROGRESS) must be confirmed within 10 minutes. Past either, the payment is EXPIRED with
the failure EXPIRED_PAYMENT. Whoever notices first makes the change: a read, a confirm, the
checkout form, or the background task's sweep, which is what sends the webhook on time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.lifecycle.transitions import change_status
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.payment_store import Payment, load_by_key
from toss_sandbox.storage.tables import payments
from toss_sandbox.vocabulary.status import PaymentStatus

CHECKOUT_WINDOW: Final = timedelta(minutes=30)
CONFIRM_WINDOW: Final = timedelta(minutes=10)


def _deadline(payment: Payment) -> datetime | None:
    if payment.status is PaymentStatus.READY:
        return payment.requested_at + CHECKOUT_WINDOW
    if payment.status is PaymentStatus.IN_PROGRESS and payment.authenticated_at is not None:
        return payment.authenticated_at + CONFIRM_WINDOW
    return None


def is_stale(payment: Payment, now: datetime) -> bool:
    """Past its window; a payment is still valid at the very end of it."""
    deadline = _deadline(payment)
    return deadline is not None and now > deadline


async def expire_if_stale(
    connection: AsyncConnection, payment: Payment, now: datetime, outbox: Outbox
) -> Payment:
    """`payment` as Toss shows it at `now`, expired if its window has passed."""
    if not is_stale(payment, now):
        return payment
    expired = await change_status(
        connection,
        payment,
        PaymentStatus.EXPIRED,
        outbox=outbox,
        now=now,
        failure_code="EXPIRED_PAYMENT",
    )
    if expired is not None:
        return expired
    # Changed by someone else since it was read.
    current = await load_by_key(connection, payment.payment_key)
    assert current is not None
    return current


# Built once, executed with the two deadlines' thresholds: the background task runs it
# several times a second.
_STALE: Final = select(payments.c.payment_key).where(
    or_(
        and_(
            payments.c.status == PaymentStatus.READY,
            payments.c.requested_at < bindparam("requested_before"),
        ),
        and_(
            payments.c.status == PaymentStatus.IN_PROGRESS,
            payments.c.authenticated_at < bindparam("authenticated_before"),
        ),
    )
)


async def stale_payment_keys(connection: AsyncConnection, now: datetime) -> list[str]:
    """The payments past their window at `now` that nobody has expired yet."""
    thresholds = {
        "requested_before": now - CHECKOUT_WINDOW,
        "authenticated_before": now - CONFIRM_WINDOW,
    }
    return list((await connection.scalars(_STALE, thresholds)).all())


async def expire_payments(
    database: Database, outbox: Outbox, payment_keys: list[str], now: datetime
) -> None:
    """Expire those of `payment_keys` still past their window, with their webhooks."""
    async with database.write() as connection:
        for payment_key in payment_keys:
            payment = await load_by_key(connection, payment_key)
            if payment is not None:
                await expire_if_stale(connection, payment, now, outbox)
