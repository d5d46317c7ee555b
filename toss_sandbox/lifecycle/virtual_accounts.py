"""What the bank does to a virtual account, as Toss's test console lets a merchant simulate it
(toss-api.md §9): money paid in (`POST /admin/virtual-accounts/{paymentKey}/deposit`), and a
deposit taken back afterwards (`.../deposit-error`)."""

from __future__ import annotations

from datetime import datetime

from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.lifecycle.transitions import change_status
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.payment_store import Payment, load_by_key
from toss_sandbox.vocabulary.errors import TossApiError
from toss_sandbox.vocabulary.keys import new_transaction_key
from toss_sandbox.vocabulary.status import PaymentMethod, PaymentStatus


class DepositRefused(Exception):
    """The bank cannot do that with the payment's account; `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _virtual_account(payment: Payment | None) -> Payment:
    if payment is None:
        raise TossApiError("NOT_FOUND_PAYMENT")
    if payment.method is not PaymentMethod.VIRTUAL_ACCOUNT or payment.virtual_account is None:
        raise DepositRefused("NOT_VIRTUAL_ACCOUNT", "the payment has no virtual account")
    return payment


def _check_depositable(payment: Payment, amount: int, now: datetime) -> None:
    account = payment.virtual_account
    assert account is not None
    if payment.status is not PaymentStatus.WAITING_FOR_DEPOSIT:
        raise DepositRefused(
            "NOT_WAITING_FOR_DEPOSIT", f"the payment is {payment.status}, not WAITING_FOR_DEPOSIT"
        )
    if now > account.due_date:
        # Past its due date an account takes no money; Toss leaves the status as it is.
        raise DepositRefused("EXPIRED_VIRTUAL_ACCOUNT", "the account is past its due date")
    if amount != payment.total_amount:
        # An account is issued for one amount and takes exactly that, in one transfer: the
        # bank turns less or more away and nothing happens (toss-api.md §3.2).
        raise DepositRefused(
            "WRONG_DEPOSIT_AMOUNT",
            f"the account takes exactly {payment.total_amount}; the bank refused {amount}",
        )


async def deposit(
    database: Database,
    payment_key: str,
    now: datetime,
    outbox: Outbox,
    amount: int | None = None,
) -> Payment:
    """`amount` paid in (None: the account's own amount): WAITING_FOR_DEPOSIT -> DONE, with
    its webhooks."""
    async with database.write() as connection:
        payment = _virtual_account(await load_by_key(connection, payment_key))
        _check_depositable(payment, payment.total_amount if amount is None else amount, now)
        deposited = await change_status(
            connection,
            payment,
            PaymentStatus.DONE,
            outbox=outbox,
            now=now,
            approved_at=now,
            last_transaction_key=new_transaction_key(),
        )
    if deposited is None:
        raise DepositRefused("NOT_WAITING_FOR_DEPOSIT", "the payment changed meanwhile")
    return deposited


async def reverse_deposit(
    database: Database, payment_key: str, now: datetime, outbox: Outbox
) -> Payment:
    """The deposit fails after all (the sender's transfer limit, a network fault):
    DONE -> WAITING_FOR_DEPOSIT, and the buyer is to pay again (toss-api.md §3.2), with the
    webhooks of that change. The account is no longer approved, so `approvedAt` goes back to
    null (and with it the settlement and the receipt); the change is a new transaction, with
    a key of its own for its DEPOSIT_CALLBACK. Both are the sandbox's reading: Toss documents
    the transition, not these fields."""
    async with database.write() as connection:
        payment = _virtual_account(await load_by_key(connection, payment_key))
        # DONE means paid in and never canceled: a cancel moves a payment out of DONE.
        if payment.status is not PaymentStatus.DONE:
            raise DepositRefused(
                "NOT_DEPOSITED",
                f"the payment is {payment.status}; only a DONE account with no cancels can "
                "have its deposit reversed",
            )
        reversed_payment = await change_status(
            connection,
            payment,
            PaymentStatus.WAITING_FOR_DEPOSIT,
            outbox=outbox,
            now=now,
            approved_at=None,
            last_transaction_key=new_transaction_key(),
        )
    if reversed_payment is None:
        raise DepositRefused("NOT_DEPOSITED", "the payment changed meanwhile")
    return reversed_payment
