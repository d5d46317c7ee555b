"""The payments store: opening a checkout, confirming it, reading payments back.

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

from sqlalchemy import Row, Select, case, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_graphql.sandbox.database import Database
from toss_graphql.sandbox.errors import TossApiError
from toss_graphql.sandbox.kst import KST
from toss_graphql.sandbox.status import APPROVED, PROCESSED, PaymentStatus, check_transition
from toss_graphql.sandbox.tables import payments

# Toss: confirm must be called within 10 minutes of the buyer's authentication, or the
# payment expires (toss-api.md §6).
CONFIRM_WINDOW: Final = timedelta(minutes=10)

_ALPHANUMERIC: Final = string.ascii_letters + string.digits
# (issuer/acquirer code, BIN) pairs of a few Korean card companies, for varied test cards.
_TEST_CARDS: Final = (
    ("11", "4673"),
    ("41", "4518"),
    ("51", "5365"),
    ("61", "4048"),
    ("71", "4330"),
)


@dataclass(frozen=True, slots=True)
class Payment:
    payment_key: str
    order_id: str
    order_name: str
    status: PaymentStatus
    total_amount: int
    balance_amount: int
    requested_at: datetime
    approved_at: datetime | None
    last_transaction_key: str | None
    card_number: str
    card_issuer_code: str
    card_acquirer_code: str | None
    card_approve_no: str | None
    failure_code: str | None
    cancels: list[dict[str, Any]] | None


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    payment_key: str
    order_id: str
    amount: int


def _payment_from_row(row: Row[Any]) -> Payment:
    values = row._asdict()
    values["status"] = PaymentStatus(values["status"])
    return Payment(**values)


def _random_text(length: int, alphabet: str = _ALPHANUMERIC) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _new_payment_key(now: datetime) -> str:
    # Shaped like Toss's test keys (`tgen_20250719214924SBTo2`), with enough randomness
    # (24 alphanumerics, ~143 bits) that a key cannot be guessed.
    return f"tgen_{now.astimezone(KST):%Y%m%d%H%M%S}{_random_text(24)}"


def _new_card_number() -> tuple[str, str]:
    issuer_code, bin_prefix = secrets.choice(_TEST_CARDS)
    # Toss masks digits 9-12 and the last one: "43301234****123*".
    return (
        issuer_code,
        f"{bin_prefix}{_random_text(4, string.digits)}****{_random_text(3, string.digits)}*",
    )


async def _load(connection: AsyncConnection, payment_key: str) -> Payment | None:
    row = (
        await connection.execute(select(payments).where(payments.c.payment_key == payment_key))
    ).first()
    return None if row is None else _payment_from_row(row)


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
    reloaded = await _load(connection, payment.payment_key)
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
        payment_key = _new_payment_key(now)
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
        payment = await _load(connection, payment_key)
    assert payment is not None
    return payment


async def _confirm_in(
    connection: AsyncConnection, request: ConfirmRequest, now: datetime
) -> Payment | TossApiError:
    payment = await _load(connection, request.payment_key)
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
        last_transaction_key=secrets.token_hex(16).upper(),
        card_approve_no=_random_text(8, string.digits),
    )
    if not claimed:
        return TossApiError("ALREADY_PROCESSED_PAYMENT")
    approved = await _load(connection, payment.payment_key)
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
        row = (await connection.execute(query)).first()
    if row is None:
        return None
    payment = _payment_from_row(row)
    if not _is_stale(payment, now):
        return payment
    # A payment left unconfirmed past its window reads as Toss shows it: EXPIRED.
    async with database.write() as connection:
        current = await _load(connection, payment.payment_key)
        assert current is not None
        return await _expire_stale(connection, current, now)


async def find_payment(database: Database, payment_key: str, now: datetime) -> Payment | None:
    query = select(payments).where(payments.c.payment_key == payment_key)
    return await _read_fresh(database, query, now)


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
