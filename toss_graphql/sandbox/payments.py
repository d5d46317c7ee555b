"""Opening a checkout, confirming it, reading payments back.

Every function that changes a payment runs in one write transaction (`BEGIN IMMEDIATE`), and
the change itself is a conditional UPDATE on the status it expects, so a payment changes
status at most once per expected state even if two requests race.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Select, case, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_graphql.sandbox.database import Database
from toss_graphql.sandbox.errors import TossApiError
from toss_graphql.sandbox.keys import new_payment_key, new_transaction_key, random_text
from toss_graphql.sandbox.payment_store import Payment, by_key, load_by_key, load_payment
from toss_graphql.sandbox.status import APPROVED, PROCESSED, PaymentStatus, check_transition
from toss_graphql.sandbox.tables import payments

# Toss: confirm must be called within 10 minutes of the buyer's authentication, or the
# payment expires (toss-api.md §6).
CONFIRM_WINDOW: Final = timedelta(minutes=10)

# (issuer/acquirer code, BIN) pairs of a few Korean card companies, for varied test cards.
_TEST_CARDS: Final = (
    ("11", "4673"),
    ("41", "4518"),
    ("51", "5365"),
    ("61", "4048"),
    ("71", "4330"),
)


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    payment_key: str
    order_id: str
    amount: int


def _new_card_number() -> tuple[str, str]:
    issuer_code, bin_prefix = secrets.choice(_TEST_CARDS)
    # Toss masks digits 9-12 and the last one: "43301234****123*".
    return (
        issuer_code,
        f"{bin_prefix}{random_text(4, string.digits)}****{random_text(3, string.digits)}*",
    )


async def _has_approved_payment(connection: AsyncConnection, order_id: str) -> bool:
    query = select(payments.c.payment_key).where(
        payments.c.order_id == order_id, payments.c.status.in_(APPROVED)
    )
    return (await connection.execute(query.limit(1))).first() is not None


async def _transition(
    connection: AsyncConnection,
    payment_key: str,
    current: PaymentStatus,
    target: PaymentStatus,
    **values: object,
) -> bool:
    """Move one payment from `current` to `target`; False when it was no longer `current`."""
    check_transition(current, target)
    result = await connection.execute(
        update(payments)
        .where(payments.c.payment_key == payment_key, payments.c.status == current)
        .values(status=target, **values)
    )
    return result.rowcount == 1


def _is_stale(payment: Payment, now: datetime) -> bool:
    return (
        payment.status is PaymentStatus.IN_PROGRESS and now - payment.requested_at > CONFIRM_WINDOW
    )


async def _expire_stale(connection: AsyncConnection, payment: Payment, now: datetime) -> Payment:
    if not _is_stale(payment, now):
        return payment
    await _transition(
        connection,
        payment.payment_key,
        PaymentStatus.IN_PROGRESS,
        PaymentStatus.EXPIRED,
        failure_code="EXPIRED_PAYMENT",
    )
    reloaded = await load_by_key(connection, payment.payment_key)
    assert reloaded is not None
    return reloaded


async def open_checkout(
    database: Database, *, order_id: str, order_name: str, amount: int, now: datetime
) -> Payment:
    """Record a card payment the buyer has just authenticated (IN_PROGRESS).

    An orderId already approved once is refused with DUPLICATED_ORDER_ID; an orderId whose
    earlier checkouts were never confirmed may be checked out again under a new key.
    """
    issuer_code, card_number = _new_card_number()
    async with database.write() as connection:
        if await _has_approved_payment(connection, order_id):
            raise TossApiError("DUPLICATED_ORDER_ID")
        payment_key = new_payment_key(now)
        await connection.execute(
            payments.insert().values(
                payment_key=payment_key,
                order_id=order_id,
                order_name=order_name,
                status=PaymentStatus.IN_PROGRESS,
                total_amount=amount,
                balance_amount=amount,
                requested_at=now,
                card_number=card_number,
                card_issuer_code=issuer_code,
                card_acquirer_code=issuer_code,
            )
        )
        payment = await load_by_key(connection, payment_key)
    assert payment is not None
    return payment


async def _confirm_in(
    connection: AsyncConnection, request: ConfirmRequest, now: datetime
) -> Payment | TossApiError:
    payment = await load_by_key(connection, request.payment_key)
    if payment is None or payment.order_id != request.order_id:
        # Toss has no session under that key for that order: the same answer either way.
        return TossApiError("NOT_FOUND_PAYMENT_SESSION")
    if payment.status in PROCESSED:
        return TossApiError("ALREADY_PROCESSED_PAYMENT")
    payment = await _expire_stale(connection, payment, now)
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
    if await _has_approved_payment(connection, payment.order_id):
        return TossApiError("DUPLICATED_ORDER_ID")
    claimed = await _transition(
        connection,
        payment.payment_key,
        PaymentStatus.IN_PROGRESS,
        PaymentStatus.DONE,
        approved_at=now,
        last_transaction_key=new_transaction_key(),
        card_approve_no=random_text(8, string.digits),
    )
    if not claimed:
        return TossApiError("ALREADY_PROCESSED_PAYMENT")
    approved = await load_by_key(connection, payment.payment_key)
    assert approved is not None
    return approved


async def confirm_payment(database: Database, request: ConfirmRequest, now: datetime) -> Payment:
    """Approve an authenticated payment, as `POST /v1/payments/confirm` does."""
    async with database.write() as connection:
        # Failures are returned, not raised, so the transaction still commits what they
        # changed (an expired payment stays EXPIRED).
        outcome = await _confirm_in(connection, request, now)
    if isinstance(outcome, TossApiError):
        raise outcome
    return outcome


async def _read_fresh(database: Database, query: Select[Any], now: datetime) -> Payment | None:
    async with database.read() as connection:
        payment = await load_payment(connection, query)
    if payment is None or not _is_stale(payment, now):
        return payment
    # A payment left unconfirmed past its window reads as Toss shows it: EXPIRED.
    async with database.write() as connection:
        current = await load_by_key(connection, payment.payment_key)
        assert current is not None
        return await _expire_stale(connection, current, now)


async def find_payment(database: Database, payment_key: str, now: datetime) -> Payment | None:
    return await _read_fresh(database, by_key(payment_key), now)


async def find_payment_by_order_id(
    database: Database, order_id: str, now: datetime
) -> Payment | None:
    """The payment Toss would show for an orderId: the approved one, else the latest checkout."""
    approved_first = case((payments.c.status.in_(APPROVED), 0), else_=1)
    query = (
        select(payments)
        .where(payments.c.order_id == order_id)
        .order_by(approved_first, payments.c.requested_at.desc(), payments.c.payment_key.desc())
        .limit(1)
    )
    return await _read_fresh(database, query, now)
