"""The payment window's side of a payment: opening it (READY) and the buyer authenticating
(IN_PROGRESS), after which the merchant has 10 minutes to confirm.

Toss creates the payment when the merchant's page calls `requestPayment`, which is when the
sandbox's `GET /checkout` shows the window. `POST /checkout` without a session (no prior
GET) creates the payment already authenticated, in one step.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.checkout.form import Authentication, CheckoutOrder
from toss_sandbox.lifecycle.expiry import expire_if_stale
from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.lifecycle.payments import has_confirmed_payment
from toss_sandbox.lifecycle.transitions import change_status
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.payment_store import Payment, load_by_key
from toss_sandbox.storage.tables import payments
from toss_sandbox.vocabulary.errors import TossApiError
from toss_sandbox.vocabulary.integrations import of_client_key
from toss_sandbox.vocabulary.keys import new_payment_key, random_text
from toss_sandbox.vocabulary.status import PaymentMethod, PaymentStatus

# (issuer/acquirer code, BIN) pairs of a few Korean card companies, for varied test cards.
_TEST_CARDS: Final = (
    ("11", "4673"),
    ("41", "4518"),
    ("51", "5365"),
    ("61", "4048"),
    ("71", "4330"),
)
# Toss's codes of banks a buyer transfers from (신한, 우리, KB국민, 하나, 카카오뱅크, 토스뱅크;
# toss-api.md §3.3).
_TRANSFER_BANKS: Final = ("88", "20", "06", "81", "90", "92")


def _authenticated(authentication: Authentication, now: datetime) -> dict[str, object]:
    choice = authentication.choice
    values: dict[str, object] = {
        "method": choice.method,
        "authenticated_at": now,
        "customer_name": authentication.customer_name,
        "easy_pay_provider": choice.provider,
        "customer_mobile_phone": authentication.customer_mobile_phone,
    }
    if choice.method is PaymentMethod.TRANSFER:
        values["transfer_bank_code"] = secrets.choice(_TRANSFER_BANKS)
    if choice.method is PaymentMethod.CARD:
        issuer_code, bin_prefix = secrets.choice(_TEST_CARDS)
        # Toss masks digits 9-12 and the last one: "43301234****123*".
        values["card_number"] = (
            f"{bin_prefix}{random_text(4, string.digits)}****{random_text(3, string.digits)}*"
        )
        values["card_issuer_code"] = issuer_code
        values["card_acquirer_code"] = issuer_code
    return values


async def _insert(
    connection: AsyncConnection,
    order: CheckoutOrder,
    now: datetime,
    base_url: str,
    **values: object,
) -> Payment:
    payment_key = new_payment_key(now)
    await connection.execute(
        payments.insert().values(
            payment_key=payment_key,
            order_id=order.order_id,
            order_name=order.order_name,
            total_amount=order.amount,
            balance_amount=order.amount,
            requested_at=now,
            base_url=base_url,
            integration=of_client_key(order.client_key),
            **values,
        )
    )
    payment = await load_by_key(connection, payment_key)
    assert payment is not None
    return payment


async def open_session(
    database: Database, order: CheckoutOrder, now: datetime, base_url: str
) -> Payment | None:
    """The READY payment of a window just shown; None when the order is already paid,
    which the window's form then reports as DUPLICATED_ORDER_ID."""
    async with database.write() as connection:
        if await has_confirmed_payment(connection, order.order_id):
            return None
        return await _insert(connection, order, now, base_url, status=PaymentStatus.READY)


async def _authenticate_in(
    connection: AsyncConnection,
    payment_key: str,
    order: CheckoutOrder,
    authentication: Authentication,
    now: datetime,
    outbox: Outbox,
) -> Payment | TossApiError:
    payment = await load_by_key(connection, payment_key)
    if payment is None or payment.order_id != order.order_id:
        return TossApiError("NOT_FOUND_PAYMENT_SESSION")
    payment = await expire_if_stale(connection, payment, now, outbox)
    if payment.status is PaymentStatus.EXPIRED:
        # Toss documents no failUrl code of its own for a window that timed out; this is
        # the failUrl code for a payment stopped on the way (toss-api.md §4.6).
        return TossApiError("PAY_PROCESS_ABORTED")
    if payment.status is not PaymentStatus.READY:
        return TossApiError("ALREADY_PROCESSED_PAYMENT")
    if await has_confirmed_payment(connection, order.order_id):
        return TossApiError("DUPLICATED_ORDER_ID")
    authenticated = await change_status(
        connection,
        payment,
        PaymentStatus.IN_PROGRESS,
        outbox=outbox,
        now=now,
        **_authenticated(authentication, now),
    )
    return authenticated or TossApiError("ALREADY_PROCESSED_PAYMENT")


async def authenticate_session(
    database: Database,
    payment_key: str,
    order: CheckoutOrder,
    authentication: Authentication,
    now: datetime,
    outbox: Outbox,
) -> Payment:
    """The buyer approves in the window opened as `payment_key`; raises the failUrl code."""
    async with database.write() as connection:
        # Returned, not raised, so an expiry noticed here is committed.
        outcome = await _authenticate_in(
            connection, payment_key, order, authentication, now, outbox
        )
    if isinstance(outcome, TossApiError):
        raise outcome
    return outcome


async def open_checkout(
    database: Database,
    order: CheckoutOrder,
    authentication: Authentication,
    now: datetime,
    base_url: str,
) -> Payment:
    """Create a payment already authenticated (IN_PROGRESS): the window in one step.

    An orderId already confirmed once is refused with DUPLICATED_ORDER_ID; an orderId whose
    earlier checkouts were never confirmed may be checked out again under a new key.
    """
    async with database.write() as connection:
        if await has_confirmed_payment(connection, order.order_id):
            raise TossApiError("DUPLICATED_ORDER_ID")
        return await _insert(
            connection,
            order,
            now,
            base_url,
            status=PaymentStatus.IN_PROGRESS,
            **_authenticated(authentication, now),
        )
