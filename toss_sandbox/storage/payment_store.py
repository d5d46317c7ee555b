"""A payment as the sandbox stores it, with its cancels, and reading one back.

Reading runs inside the caller's transaction, so a writer sees the payment it holds the
lock on, and a reader sees the payment and its cancels as of one moment. Cancels are looked
up only for a payment whose status says it has some (`WITH_CANCELS`).

The statements are built once, with bound parameters, and executed with their values: most
of what SQLAlchemy spends on a statement built afresh for each call goes into building it
and computing its cache key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.storage.tables import payment_cancels, payments
from toss_sandbox.vocabulary.integrations import Integration
from toss_sandbox.vocabulary.methods import EasyPayProvider
from toss_sandbox.vocabulary.status import WITH_CANCELS, PaymentMethod, PaymentStatus


@dataclass(frozen=True, slots=True)
class RefundAccount:
    """The buyer's bank account a refund goes to: `refundReceiveAccount` (toss-api.md §2.4)."""

    bank_code: str
    account_number: str
    holder_name: str


@dataclass(frozen=True, slots=True)
class Refund:
    """The money a cancel of a deposited virtual account sends back to the buyer."""

    account: RefundAccount
    # Set when the admin switch made the bank refuse it; lifecycle/refunds.py reads the rest off
    # the clock.
    failed_at: datetime | None = None


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
    # Only for a virtual account that was paid into; other payments are refunded the way
    # they were paid.
    refund: Refund | None = None


@dataclass(frozen=True, slots=True)
class Card:
    number: str
    issuer_code: str
    acquirer_code: str | None
    # Given by the card company on approval.
    approve_no: str | None


@dataclass(frozen=True, slots=True)
class VirtualAccount:
    account_number: str
    bank_code: str
    due_date: datetime


@dataclass(frozen=True, slots=True)
class Payment:
    payment_key: str
    order_id: str
    order_name: str
    status: PaymentStatus
    method: PaymentMethod | None
    total_amount: int
    balance_amount: int
    requested_at: datetime
    authenticated_at: datetime | None
    approved_at: datetime | None
    last_transaction_key: str | None
    card: Card | None
    customer_name: str | None
    integration: Integration
    easy_pay_provider: EasyPayProvider | None
    transfer_bank_code: str | None
    customer_mobile_phone: str | None
    # Issued when a virtual-account payment is confirmed.
    virtual_account: VirtualAccount | None
    secret: str | None
    failure_code: str | None
    base_url: str | None
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


BY_KEY: Final = select(payments).where(payments.c.payment_key == bindparam("key"))
"""One payment; executed with `{"key": payment_key}`."""

_CANCELS: Final = (
    select(payment_cancels)
    .where(payment_cancels.c.payment_key == bindparam("key"))
    .order_by(payment_cancels.c.sequence)
)


def _card(row: Row[Any]) -> Card | None:
    if row.card_number is None:
        return None
    return Card(
        number=row.card_number,
        issuer_code=row.card_issuer_code,
        acquirer_code=row.card_acquirer_code,
        approve_no=row.card_approve_no,
    )


def _virtual_account(row: Row[Any]) -> VirtualAccount | None:
    if row.virtual_account_number is None:
        return None
    return VirtualAccount(
        account_number=row.virtual_account_number,
        bank_code=row.virtual_account_bank_code,
        due_date=row.virtual_account_due_date,
    )


def _refund(row: Row[Any]) -> Refund | None:
    if row.refund_bank_code is None:
        return None
    account = RefundAccount(
        bank_code=row.refund_bank_code,
        account_number=row.refund_account_number,
        holder_name=row.refund_holder_name,
    )
    return Refund(account=account, failed_at=row.refund_failed_at)


async def _cancels(connection: AsyncConnection, payment_key: str) -> tuple[Cancel, ...]:
    rows = await connection.execute(_CANCELS, {"key": payment_key})
    return tuple(
        Cancel(
            transaction_key=row.transaction_key,
            cancel_amount=row.cancel_amount,
            cancel_reason=row.cancel_reason,
            tax_free_amount=row.tax_free_amount,
            refundable_amount=row.refundable_amount,
            canceled_at=row.canceled_at,
            receipt_key=row.receipt_key,
            refund=_refund(row),
        )
        for row in rows
    )


def payment_from_row(row: Row[Any], cancels: tuple[Cancel, ...]) -> Payment:
    """A payment from its `payments` row (a select or a RETURNING of all its columns)."""
    return Payment(
        payment_key=row.payment_key,
        order_id=row.order_id,
        order_name=row.order_name,
        status=PaymentStatus(row.status),
        method=None if row.method is None else PaymentMethod(row.method),
        total_amount=row.total_amount,
        balance_amount=row.balance_amount,
        requested_at=row.requested_at,
        authenticated_at=row.authenticated_at,
        approved_at=row.approved_at,
        last_transaction_key=row.last_transaction_key,
        card=_card(row),
        customer_name=row.customer_name,
        integration=Integration(row.integration),
        easy_pay_provider=(
            None if row.easy_pay_provider is None else EasyPayProvider(row.easy_pay_provider)
        ),
        transfer_bank_code=row.transfer_bank_code,
        customer_mobile_phone=row.customer_mobile_phone,
        virtual_account=_virtual_account(row),
        secret=row.secret,
        failure_code=row.failure_code,
        base_url=row.base_url,
        cancels=cancels,
    )


async def payment_of_row(connection: AsyncConnection, row: Row[Any]) -> Payment:
    """The payment of a `payments` row, with its cancels."""
    cancels = await _cancels(connection, row.payment_key) if row.status in WITH_CANCELS else ()
    return payment_from_row(row, cancels)


async def load_payment(
    connection: AsyncConnection, query: Select[Any], parameters: Mapping[str, Any]
) -> Payment | None:
    """The first payment `query` (a select of `payments`) finds, with its cancels."""
    row = (await connection.execute(query, parameters)).first()
    return None if row is None else await payment_of_row(connection, row)


async def load_by_key(connection: AsyncConnection, payment_key: str) -> Payment | None:
    return await load_payment(connection, BY_KEY, {"key": payment_key})
