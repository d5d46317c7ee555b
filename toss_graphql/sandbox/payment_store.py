"""A payment as the sandbox stores it, with its cancels, and reading one back.

Reading runs inside the caller's transaction, so a writer sees the payment it holds the
lock on, and a reader sees the payment and its cancels as of one moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_graphql.sandbox.status import PaymentStatus
from toss_graphql.sandbox.tables import payment_cancels, payments


@dataclass(frozen=True, slots=True)
class Cancel:
    """One applied cancel: an entry of Toss's `cancels[]` (toss-api.md §3.1)."""

    transaction_key: str
    cancel_amount: int
    cancel_reason: str
    tax_free_amount: int
    # The payment's balance left after this cancel.
    refundable_amount: int
    canceled_at: datetime
    receipt_key: str


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
    # In the order they were applied.
    cancels: tuple[Cancel, ...]

    @property
    def tax_free_amount(self) -> int:
        # The sandbox's merchant sells taxable goods only, like any normal merchant
        # (toss-api.md §3: taxFreeAmount is 0 for normal merchants).
        return 0

    @property
    def last_canceled_at(self) -> datetime | None:
        return self.cancels[-1].canceled_at if self.cancels else None


def by_key(payment_key: str) -> Select[Any]:
    return select(payments).where(payments.c.payment_key == payment_key)


async def load_payment(connection: AsyncConnection, query: Select[Any]) -> Payment | None:
    """The first payment `query` (a select of `payments`) finds, with its cancels."""
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    cancel_rows = await connection.execute(
        select(payment_cancels)
        .where(payment_cancels.c.payment_key == row.payment_key)
        .order_by(payment_cancels.c.sequence)
    )
    cancels = tuple(
        Cancel(
            transaction_key=cancel.transaction_key,
            cancel_amount=cancel.cancel_amount,
            cancel_reason=cancel.cancel_reason,
            tax_free_amount=cancel.tax_free_amount,
            refundable_amount=cancel.refundable_amount,
            canceled_at=cancel.canceled_at,
            receipt_key=cancel.receipt_key,
        )
        for cancel in cancel_rows
    )
    values = row._asdict()
    values["status"] = PaymentStatus(values["status"])
    return Payment(**values, cancels=cancels)


async def load_by_key(connection: AsyncConnection, payment_key: str) -> Payment | None:
    return await load_payment(connection, by_key(payment_key))
