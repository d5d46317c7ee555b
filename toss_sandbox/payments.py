"""Confirming an authenticated payment, and reading payments back.

Every function that changes a payment runs in one write transaction (`BEGIN IMMEDIATE`) and
goes through `change_status`, so a payment changes status at most once per expected state
even if two requests race.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, case, select
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.database import Database
from toss_sandbox.errors import TossApiError
from toss_sandbox.expiry import expire_if_stale, is_stale
from toss_sandbox.keys import (
    new_secret,
    new_transaction_key,
    new_virtual_account_number,
    random_text,
)
from toss_sandbox.outbox import Outbox
from toss_sandbox.payment_store import Payment, by_key, load_by_key, load_payment
from toss_sandbox.status import (
    CONFIRMED,
    PROCESSED,
    PaymentMethod,
    PaymentStatus,
)
from toss_sandbox.tables import payments
from toss_sandbox.transitions import change_status

# Toss's default validity of a virtual account: 168 hours (toss-api.md §2.5, validHours).
VIRTUAL_ACCOUNT_VALIDITY: Final = timedelta(hours=168)

# Toss's two-digit codes of a few banks that issue virtual accounts (우리, 신한, KB국민,
# NH농협, 하나, IBK기업).
_VIRTUAL_ACCOUNT_BANKS: Final = ("20", "88", "04", "11", "81", "03")


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    payment_key: str
    order_id: str
    amount: int


async def has_confirmed_payment(
    connection: AsyncConnection, order_id: str, *, other_than: str | None = None
) -> bool:
    """Whether a payment of `order_id` (other than `other_than`) was confirmed."""
    query = select(payments.c.payment_key).where(
        payments.c.order_id == order_id, payments.c.status.in_(CONFIRMED)
    )
    if other_than is not None:
        query = query.where(payments.c.payment_key != other_than)
    return (await connection.execute(query.limit(1))).first() is not None


def _approval(payment: Payment, now: datetime) -> tuple[PaymentStatus, dict[str, object]]:
    """The status a confirm moves `payment` to, and what it records."""
    if payment.method is PaymentMethod.VIRTUAL_ACCOUNT:
        # The account is issued now; the payment is approved when money arrives.
        return PaymentStatus.WAITING_FOR_DEPOSIT, {
            "last_transaction_key": new_transaction_key(),
            "virtual_account_number": new_virtual_account_number(),
            "virtual_account_bank_code": secrets.choice(_VIRTUAL_ACCOUNT_BANKS),
            "virtual_account_due_date": now + VIRTUAL_ACCOUNT_VALIDITY,
            "secret": new_secret(),
        }
    return PaymentStatus.DONE, {
        "approved_at": now,
        "last_transaction_key": new_transaction_key(),
        "card_approve_no": random_text(8, string.digits),
    }


async def _confirm_in(
    connection: AsyncConnection, request: ConfirmRequest, now: datetime, outbox: Outbox
) -> Payment | TossApiError:
    payment = await load_by_key(connection, request.payment_key)
    if payment is None or payment.order_id != request.order_id:
        # Toss has no session under that key for that order: the same answer either way.
        return TossApiError("NOT_FOUND_PAYMENT_SESSION")
    if payment.status in PROCESSED:
        return TossApiError("ALREADY_PROCESSED_PAYMENT")
    payment = await expire_if_stale(connection, payment, now, outbox)
    if payment.status is not PaymentStatus.IN_PROGRESS:
        return TossApiError("NOT_FOUND_PAYMENT_SESSION")
    if request.amount != payment.total_amount:
        return TossApiError(
            "INVALID_REQUEST",
            (
                "잘못된 요청입니다. 결제 금액이 결제 요청 금액과 다릅니다.",
                "The request is invalid: the amount differs from the requested amount.",
            ),
        )
    # Where writers interleave (PostgreSQL), this very payment may have been confirmed since
    # it was read; the conditional update below then answers ALREADY_PROCESSED_PAYMENT.
    if await has_confirmed_payment(connection, payment.order_id, other_than=payment.payment_key):
        return TossApiError("DUPLICATED_ORDER_ID")
    target, values = _approval(payment, now)
    confirmed = await change_status(connection, payment, target, outbox=outbox, now=now, **values)
    if confirmed is None:
        return TossApiError("ALREADY_PROCESSED_PAYMENT")
    return confirmed


async def confirm_payment(
    database: Database, request: ConfirmRequest, now: datetime, outbox: Outbox
) -> Payment:
    """Approve an authenticated payment, as `POST /v1/payments/confirm` does.

    A card payment is DONE; a virtual account is issued and WAITING_FOR_DEPOSIT.
    """
    async with database.write() as connection:
        # Failures are returned, not raised, so the transaction still commits what they
        # changed (an expired payment stays EXPIRED).
        outcome = await _confirm_in(connection, request, now, outbox)
    if isinstance(outcome, TossApiError):
        raise outcome
    return outcome


async def _read_fresh(
    database: Database, query: Select[Any], now: datetime, outbox: Outbox
) -> Payment | None:
    async with database.read() as connection:
        payment = await load_payment(connection, query)
    if payment is None or not is_stale(payment, now):
        return payment
    # A payment left past its window reads as Toss shows it: EXPIRED.
    async with database.write() as connection:
        current = await load_by_key(connection, payment.payment_key)
        assert current is not None
        return await expire_if_stale(connection, current, now, outbox)


async def find_payment(
    database: Database, payment_key: str, now: datetime, outbox: Outbox
) -> Payment | None:
    return await _read_fresh(database, by_key(payment_key), now, outbox)


async def find_payment_by_order_id(
    database: Database, order_id: str, now: datetime, outbox: Outbox
) -> Payment | None:
    """The payment Toss would show for an orderId: the confirmed one, else the latest."""
    confirmed_first = case((payments.c.status.in_(CONFIRMED), 0), else_=1)
    query = (
        select(payments)
        .where(payments.c.order_id == order_id)
        .order_by(confirmed_first, payments.c.requested_at.desc(), payments.c.payment_key.desc())
        .limit(1)
    )
    return await _read_fresh(database, query, now, outbox)
