"""Changing a payment's status: the one place every transition goes through.

The change is a conditional UPDATE on the status the caller read, inside the caller's write
transaction, so a payment changes status at most once per expected state even if requests
race; the webhooks the new status calls for are recorded in that same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.outbox import Outbox
from toss_sandbox.payment_store import Payment, load_by_key
from toss_sandbox.status import PaymentStatus, check_transition
from toss_sandbox.tables import payments


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
    check_transition(payment.status, target)
    result = await connection.execute(
        update(payments)
        .where(payments.c.payment_key == payment.payment_key, payments.c.status == payment.status)
        .values(status=target, **values)
    )
    if result.rowcount != 1:
        return None
    changed = await load_by_key(connection, payment.payment_key)
    assert changed is not None
    await outbox.payment_changed(connection, changed, now)
    return changed
