"""SQL for cancels and cancel requests, in a unit of work; the cancels a client asks for are
read on the read path (db/read_rows.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.models import Cancel, CancelRequest, CancelRequestStatus
from .row_mapping import AS_CONVERTED, Columns, cancel_reader
from .statements import insert_unless_present
from .tables import Base, CancelRequestRow, CancelRow

cancels = Base.metadata.tables[CancelRow.__tablename__]
cancel_requests = Base.metadata.tables[CancelRequestRow.__tablename__]


# `select(cancels)`: the whole table, in its columns' order (db/row_mapping.py).
_cancel = cancel_reader(Columns(cancels), AS_CONVERTED)


def _request(row: Row[Any]) -> CancelRequest:
    return CancelRequest(
        request_id=row.request_id,
        buyer=row.buyer,
        order_name=row.order_name,
        reason=row.reason,
        requested_amount=row.requested_amount,
        requested_order_id=row.requested_order_id,
        client_key=row.client_key,
        toss_idempotency_key=row.toss_idempotency_key,
        sent_at=row.sent_at,
        order_id=row.order_id,
        status=CancelRequestStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        transaction_key=row.transaction_key,
        error_code=row.error_code,
        error_message=row.error_message,
        gateway_code=row.gateway_code,
        refund_account_masked=row.refund_account_masked,
        refund_account_digest=row.refund_account_digest,
    )


class SqlCancelRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, cancel: Cancel, now: datetime) -> None:
        # Toss's transaction key is the identity of a cancel: two settlers recording the same
        # one leave one row.
        await insert_unless_present(
            self._connection,
            cancels,
            {
                "transaction_key": cancel.transaction_key,
                "order_id": cancel.order_id,
                "payment_key": cancel.payment_key,
                "buyer": cancel.buyer,
                "order_name": cancel.order_name,
                "cancel_amount": cancel.cancel_amount,
                "cancel_reason": cancel.cancel_reason,
                "canceled_at": cancel.canceled_at,
                "idempotency_key": cancel.idempotency_key,
                "raw": cancel.raw,
                "created_at": now,
            },
        )

    async def transaction_keys(self, order_id: str) -> set[str]:
        result = await self._connection.execute(
            select(cancels.c.transaction_key).where(cancels.c.order_id == order_id)
        )
        return set(result.scalars())

    async def last_canceled_at(self, order_id: str) -> datetime | None:
        # max() takes its argument's type, so the value comes back as an aware datetime.
        latest: datetime | None = await self._connection.scalar(
            select(func.max(cancels.c.canceled_at)).where(cancels.c.order_id == order_id)
        )
        return latest

    async def get(self, transaction_key: str) -> Cancel | None:
        row = (
            await self._connection.execute(
                select(cancels).where(cancels.c.transaction_key == transaction_key)
            )
        ).first()
        return _cancel(row) if row else None


class SqlCancelRequestRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, request: CancelRequest) -> bool:
        return await insert_unless_present(
            self._connection, cancel_requests, _request_values(request)
        )

    async def get(self, request_id: str) -> CancelRequest | None:
        row = (
            await self._connection.execute(
                select(cancel_requests).where(cancel_requests.c.request_id == request_id)
            )
        ).first()
        return _request(row) if row else None

    async def get_by_client_key(self, buyer: str, client_key: str) -> CancelRequest | None:
        row = (
            await self._connection.execute(
                select(cancel_requests).where(
                    cancel_requests.c.buyer == buyer, cancel_requests.c.client_key == client_key
                )
            )
        ).first()
        return _request(row) if row else None

    async def pending_for_order(self, order_id: str) -> list[CancelRequest]:
        result = await self._connection.execute(
            select(cancel_requests)
            .where(
                cancel_requests.c.order_id == order_id,
                cancel_requests.c.status == CancelRequestStatus.PENDING.value,
            )
            .order_by(cancel_requests.c.created_at)
        )
        return [_request(row) for row in result]

    async def save(self, request: CancelRequest) -> None:
        values = _request_values(request)
        del values["request_id"]
        await self._connection.execute(
            update(cancel_requests)
            .where(cancel_requests.c.request_id == request.request_id)
            .values(**values)
        )

    async def touch(self, request_id: str, now: datetime) -> bool:
        result = await self._connection.execute(
            update(cancel_requests)
            .where(
                cancel_requests.c.request_id == request_id,
                cancel_requests.c.status == CancelRequestStatus.PENDING.value,
            )
            .values(updated_at=now)
        )
        return bool(result.rowcount == 1)

    async def fail_if_abandoned(self, failed: CancelRequest, *, stale_before: datetime) -> bool:
        # One conditional UPDATE: a sign of life committed before it wins, one after it
        # finds the request failed (orders' transitions claim the same way).
        values = _request_values(failed)
        del values["request_id"]
        result = await self._connection.execute(
            update(cancel_requests)
            .where(
                cancel_requests.c.request_id == failed.request_id,
                cancel_requests.c.status == CancelRequestStatus.PENDING.value,
                cancel_requests.c.sent_at.is_(None),
                cancel_requests.c.updated_at < stale_before,
            )
            .values(**values)
        )
        return bool(result.rowcount == 1)


def _request_values(request: CancelRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id,
        "buyer": request.buyer,
        "order_name": request.order_name,
        "reason": request.reason,
        "requested_amount": request.requested_amount,
        "requested_order_id": request.requested_order_id,
        "client_key": request.client_key,
        "toss_idempotency_key": request.toss_idempotency_key,
        "sent_at": request.sent_at,
        "order_id": request.order_id,
        "status": request.status.value,
        "transaction_key": request.transaction_key,
        "error_code": request.error_code,
        "error_message": request.error_message,
        "gateway_code": request.gateway_code,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
        # Never the whole account: it is sent to Toss and forgotten (models.CancelRequest).
        "refund_account_masked": request.refund_account_masked,
        "refund_account_digest": request.refund_account_digest,
    }
