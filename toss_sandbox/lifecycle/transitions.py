"""Changing a payment's status: the one place every transition goes through.

The change is a conditional UPDATE on the status the caller read, inside the caller's write
transaction, so a payment changes status at most once per expected state even if requests
race; the webhooks the new status calls for are recorded in that same transaction. The UPDATE
returns the changed row, so the payment is not read again; its cancels cannot have changed,
since no transition made here adds one (cancels.py records cancels).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.storage.payment_store import Payment, payment_from_row
from toss_sandbox.storage.tables import payments
from toss_sandbox.vocabulary.status import PaymentStatus, check_transition

# The SET clause comes from the values it is executed with; the WHERE clause's parameters
# are named apart from the columns.
_CHANGE: Final = (
    update(payments)
    .where(
        payments.c.payment_key == bindparam("expected_key"),
        payments.c.status == bindparam("expected_status"),
    )
    .returning(*payments.c)
)


async def change_status(
    connection: AsyncConnection,
    payment: Payment,
    target: PaymentStatus,
    *,
    outbox: Outbox,
    now: datetime,
    **values: object,
) -> Payment | None:
    """`payment` moved to `target` with `values`; None when it was no longer as read."""
    check_transition(payment.status, target, payment.method)
    parameters = {
        "expected_key": payment.payment_key,
        "expected_status": payment.status,
        "status": target,
        **values,
    }
    row = (await connection.execute(_CHANGE, parameters)).first()
    if row is None:
        return None
    changed = payment_from_row(row, payment.cancels)
    await outbox.payment_changed(connection, changed, now)
    return changed
