"""Money arriving in a virtual account: what Toss's test console does with "입금 처리"
(toss-api.md §9), here `POST /admin/virtual-accounts/{paymentKey}/deposit`."""

from __future__ import annotations

from datetime import datetime

from toss_sandbox.database import Database
from toss_sandbox.errors import TossApiError
from toss_sandbox.keys import new_transaction_key
from toss_sandbox.outbox import Outbox
from toss_sandbox.payment_store import Payment, load_by_key
from toss_sandbox.status import PaymentMethod, PaymentStatus
from toss_sandbox.transitions import change_status


class DepositRefused(Exception):
    """The payment cannot take a deposit; `code` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _check_depositable(payment: Payment, now: datetime) -> None:
    account = payment.virtual_account
    if payment.method is not PaymentMethod.VIRTUAL_ACCOUNT or account is None:
        raise DepositRefused("NOT_VIRTUAL_ACCOUNT", "the payment has no virtual account")
    if payment.status is not PaymentStatus.WAITING_FOR_DEPOSIT:
        raise DepositRefused(
            "NOT_WAITING_FOR_DEPOSIT", f"the payment is {payment.status}, not WAITING_FOR_DEPOSIT"
        )
    if now > account.due_date:
        # Past its due date an account takes no money; Toss leaves the status as it is.
        raise DepositRefused("EXPIRED_VIRTUAL_ACCOUNT", "the account is past its due date")


async def deposit(database: Database, payment_key: str, now: datetime, outbox: Outbox) -> Payment:
    """The whole amount paid in: WAITING_FOR_DEPOSIT -> DONE, with its webhooks."""
    async with database.write() as connection:
        payment = await load_by_key(connection, payment_key)
        if payment is None:
            raise TossApiError("NOT_FOUND_PAYMENT")
        _check_depositable(payment, now)
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
