"""Every /v1 call the sandbox answered, in order, for tests to inspect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.storage.database import Database
from toss_sandbox.storage.tables import request_log


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str
    idempotency_key: str | None
    # None when nothing was answered: a `timeout` fault, or a client gone before its body.
    status: int | None
    replayed: bool
    # The fault the request met, if any (api/faults.py).
    fault: str | None
    # The key set of the secret key it came with (vocabulary/integrations.py); None when
    # unauthenticated.
    key_set: str | None
    at: datetime


_INSERT: Final = request_log.insert()


async def record_in(connection: AsyncConnection, entry: LoggedRequest) -> None:
    """Log a call, in the caller's write transaction (the call's own, as a rule)."""
    await connection.execute(
        _INSERT,
        {
            "method": entry.method,
            "path": entry.path,
            "idempotency_key": entry.idempotency_key,
            "status": entry.status,
            "replayed": entry.replayed,
            "fault": entry.fault,
            "key_set": entry.key_set,
            "at": entry.at,
        },
    )


async def list_requests(
    database: Database, *, path: str | None = None, method: str | None = None
) -> list[LoggedRequest]:
    query = select(request_log).order_by(request_log.c.id)
    if path is not None:
        query = query.where(request_log.c.path == path)
    if method is not None:
        query = query.where(request_log.c.method == method.upper())
    async with database.read() as connection:
        rows = (await connection.execute(query)).all()
    return [
        LoggedRequest(
            method=row.method,
            path=row.path,
            idempotency_key=row.idempotency_key,
            status=row.status,
            replayed=row.replayed,
            fault=row.fault,
            key_set=row.key_set,
            at=row.at,
        )
        for row in rows
    ]
