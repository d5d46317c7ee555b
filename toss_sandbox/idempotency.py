"""`Idempotency-Key` on POST /v1 calls, as Toss documents it (toss-api.md §5).

The first complete answer for a scope (key, secret key, path, method) is stored, errors
included, and replayed for 15 days from the key's first use without executing again. An
in-progress marker is written, and committed, before the request executes, so a repeat that
arrives meanwhile, in this process or another, gets 409 IDEMPOTENT_REQUEST_PROCESSING.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.database import Database
from toss_sandbox.errors import TossApiError
from toss_sandbox.tables import idempotency_records

MAX_KEY_LENGTH: Final = 300
RETENTION: Final = timedelta(days=15)
# A marker this old belongs to a process that died mid-request (sandbox requests take
# milliseconds); without this the key would answer 409 for the rest of its 15 days.
ABANDONED_AFTER: Final = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class IdempotencyScope:
    idempotency_key: str
    secret_key_digest: str
    path: str
    method: str

    @classmethod
    def of(
        cls, idempotency_key: str, *, secret_key: str, path: str, method: str
    ) -> IdempotencyScope:
        if len(idempotency_key) > MAX_KEY_LENGTH:
            raise TossApiError("INVALID_IDEMPOTENCY_KEY")
        digest = hashlib.sha256(secret_key.encode()).hexdigest()
        return cls(idempotency_key, digest, path, method.upper())


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str


def _matches(scope: IdempotencyScope) -> ColumnElement[bool]:
    table = idempotency_records.c
    return and_(
        table.idempotency_key == scope.idempotency_key,
        table.secret_key_digest == scope.secret_key_digest,
        table.path == scope.path,
        table.method == scope.method,
    )


async def _claim_in(
    connection: AsyncConnection, scope: IdempotencyScope, now: datetime
) -> StoredResponse | TossApiError | None:
    table = idempotency_records
    await connection.execute(delete(table).where(table.c.first_used_at < now - RETENTION))
    row = (await connection.execute(select(table).where(_matches(scope)))).first()
    if row is None:
        await connection.execute(
            table.insert().values(
                idempotency_key=scope.idempotency_key,
                secret_key_digest=scope.secret_key_digest,
                path=scope.path,
                method=scope.method,
                first_used_at=now,
                claimed_at=now,
            )
        )
        return None
    if row.response_status is not None:
        return StoredResponse(row.response_status, row.response_body)
    if now - row.claimed_at < ABANDONED_AFTER:
        return TossApiError("IDEMPOTENT_REQUEST_PROCESSING")
    await connection.execute(update(table).where(_matches(scope)).values(claimed_at=now))
    return None


async def _claim_once(
    database: Database, scope: IdempotencyScope, now: datetime
) -> StoredResponse | TossApiError | None:
    async with database.write() as connection:
        return await _claim_in(connection, scope, now)


async def claim(
    database: Database, scope: IdempotencyScope, now: datetime
) -> StoredResponse | None:
    """The stored answer to replay, or None when the caller must execute and then `complete`.

    Raises IDEMPOTENT_REQUEST_PROCESSING while another request holds the scope.
    """
    try:
        outcome = await _claim_once(database, scope, now)
    except IntegrityError:
        # Where writers interleave (PostgreSQL), two first uses of a key can both find no
        # record and both insert one; the loser reads the winner's marker instead.
        outcome = await _claim_once(database, scope, now)
    if isinstance(outcome, TossApiError):
        raise outcome
    return outcome


async def complete(database: Database, scope: IdempotencyScope, response: StoredResponse) -> None:
    async with database.write() as connection:
        await connection.execute(
            update(idempotency_records)
            .where(_matches(scope))
            .values(response_status=response.status, response_body=response.body)
        )


async def release(database: Database, scope: IdempotencyScope) -> None:
    """Drop the in-progress marker of a request that crashed before it had an answer.

    Its transaction rolled back, so nothing took effect and a retry may execute afresh.
    """
    async with database.write() as connection:
        await connection.execute(
            delete(idempotency_records).where(
                _matches(scope), idempotency_records.c.response_status.is_(None)
            )
        )
