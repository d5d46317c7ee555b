"""Confirming an authenticated payment, and reading payments back.

Every function that changes a payment runs in one write transaction (`BEGIN IMMEDIATE`) and
goes through `change_status`, so a payment changes status at most once per expected state
even if two requests race. The `..._in` functions run in a write transaction the caller
holds; what they raise leaves that transaction fit to commit, and a change they made before
refusing (an expiry) is meant to be committed.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Row, Select, bindparam, case, select
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.lifecycle.expiry import expire_if_stale, is_stale
from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.lifecycle.transitions import change_status
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.payment_store import (
    BY_KEY,
    Payment,
    load_by_key,
    load_payment,
    payment_of_row,
)
from toss_sandbox.storage.tables import payments
from toss_sandbox.vocabulary.errors import TossApiError
from toss_sandbox.vocabulary.integrations import Integration
from toss_sandbox.vocabulary.keys import (
    new_secret,
    new_transaction_key,
    new_virtual_account_number,
    random_text,
)
from toss_sandbox.vocabulary.status import (
    CONFIRMED,
    PROCESSED,
    PaymentMethod,
    PaymentStatus,
)

# Toss's default validity of a virtual account: 168 hours (toss-api.md §2.5, validHours).
VIRTUAL_ACCOUNT_VALIDITY: Final = timedelta(hours=168)

# Toss's codes of a few banks that issue virtual accounts (우리, 신한, KB국민, NH농협, 하나,
# IBK기업; toss-api.md §3.3).
_VIRTUAL_ACCOUNT_BANKS: Final = ("20", "88", "06", "11", "81", "03")


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    payment_key: str
    order_id: str
    amount: int


_CONFIRMED_OF_ORDER: Final = (
    select(payments.c.payment_key)
    .where(payments.c.order_id == bindparam("order_id"), payments.c.status.in_(CONFIRMED))
    .limit(1)
)


async def has_confirmed_payment(connection: AsyncConnection, order_id: str) -> bool:
    """Whether a payment of `order_id` was confirmed."""
    result = await connection.execute(_CONFIRMED_OF_ORDER, {"order_id": order_id})
    return result.first() is not None


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


def _with_order_taken() -> Select[Any]:
    """The payment, and whether another payment of its order was confirmed: what a confirm
    checks, in one statement."""
    other = payments.alias("other")
    taken = (
        select(other.c.payment_key)
        .where(
            other.c.order_id == payments.c.order_id,
            other.c.status.in_(CONFIRMED),
            other.c.payment_key != payments.c.payment_key,
        )
        .exists()
    )
    return BY_KEY.add_columns(taken.label("order_taken"))


# Executed with `{"key": payment_key}`.
_CONFIRMABLE: Final = _with_order_taken()

# The payment Toss would show for an orderId: the confirmed one, else the latest. Executed
# with `{"order_id": order_id}`.
_LATEST_OF_ORDER: Final = (
    select(payments)
    .where(payments.c.order_id == bindparam("order_id"))
    .order_by(
        case((payments.c.status.in_(CONFIRMED), 0), else_=1),
        payments.c.requested_at.desc(),
        payments.c.payment_key.desc(),
    )
    .limit(1)
)


async def confirm_in(
    connection: AsyncConnection,
    request: ConfirmRequest,
    now: datetime,
    outbox: Outbox,
    integration: Integration,
) -> Payment:
    """Approve an authenticated payment, as `POST /v1/payments/confirm` does, in the caller's
    write transaction, for a caller holding the secret key of `integration`. A virtual
    account is issued and WAITING_FOR_DEPOSIT; any other method is DONE. Raises Toss's
    refusal; an expiry noticed on the way is to be committed all the same."""
    row: Row[Any] | None = (
        await connection.execute(_CONFIRMABLE, {"key": request.payment_key})
    ).first()
    if row is None or row.order_id != request.order_id:
        # Toss has no session under that key for that order: the same answer either way.
        raise TossApiError("NOT_FOUND_PAYMENT_SESSION")
    payment = await payment_of_row(connection, row)
    if payment.integration is not integration:
        # A widget checkout confirmed with the API's secret key, or the reverse.
        raise TossApiError("INVALID_API_KEY")
    if payment.status in PROCESSED:
        raise TossApiError("ALREADY_PROCESSED_PAYMENT")
    payment = await expire_if_stale(connection, payment, now, outbox)
    if payment.status is not PaymentStatus.IN_PROGRESS:
        raise TossApiError("NOT_FOUND_PAYMENT_SESSION")
    if request.amount != payment.total_amount:
        raise TossApiError(
            "INVALID_REQUEST",
            (
                "잘못된 요청입니다. 결제 금액이 결제 요청 금액과 다릅니다.",
                "The request is invalid: the amount differs from the requested amount.",
            ),
        )
    # Where writers interleave (PostgreSQL), this very payment may have been confirmed since
    # it was read; the conditional update below then answers ALREADY_PROCESSED_PAYMENT.
    if row.order_taken:
        raise TossApiError("DUPLICATED_ORDER_ID")
    target, values = _approval(payment, now)
    confirmed = await change_status(connection, payment, target, outbox=outbox, now=now, **values)
    if confirmed is None:
        raise TossApiError("ALREADY_PROCESSED_PAYMENT")
    return confirmed


async def find_payment(
    database: Database, payment_key: str, now: datetime, outbox: Outbox
) -> Payment | None:
    """A payment as Toss shows it at `now`, for a page (the receipt): read, and written only
    when it is past its window."""
    async with database.read() as connection:
        payment = await load_by_key(connection, payment_key)
    if payment is None or not is_stale(payment, now):
        return payment
    # A payment left past its window reads as Toss shows it: EXPIRED.
    async with database.write() as connection:
        current = await load_by_key(connection, payment_key)
        assert current is not None
        return await expire_if_stale(connection, current, now, outbox)


async def _fresh_in(
    connection: AsyncConnection,
    query: Select[Any],
    parameters: dict[str, Any],
    now: datetime,
    outbox: Outbox,
) -> Payment | None:
    payment = await load_payment(connection, query, parameters)
    # A payment left past its window reads as Toss shows it: EXPIRED.
    return None if payment is None else await expire_if_stale(connection, payment, now, outbox)


async def find_payment_in(
    connection: AsyncConnection, payment_key: str, now: datetime, outbox: Outbox
) -> Payment | None:
    """`find_payment` in a write transaction the caller holds."""
    return await _fresh_in(connection, BY_KEY, {"key": payment_key}, now, outbox)


async def find_payment_by_order_id_in(
    connection: AsyncConnection, order_id: str, now: datetime, outbox: Outbox
) -> Payment | None:
    """The payment Toss would show for an orderId, in a write transaction the caller holds."""
    return await _fresh_in(connection, _LATEST_OF_ORDER, {"order_id": order_id}, now, outbox)
