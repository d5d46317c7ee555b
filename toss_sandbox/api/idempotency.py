"""`Idempotency-Key` on POST /v1 calls, as Toss documents it (toss-api.md §5).

The first complete answer for a scope (key, secret key, path, method) is stored, errors
included, and replayed for 15 days from the key's first use without executing again. An
in-progress marker is written, and committed, before the request executes, so a repeat that
arrives meanwhile, in this process or another, gets 409 IDEMPOTENT_REQUEST_PROCESSING.

A record past its 15 days counts as absent: the next use of its key takes it over as a first
use. The background work (toss_sandbox/background.py) deletes such records now and then, so
the table does not grow without end; a request never waits for that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.storage.database import Database
from toss_sandbox.storage.tables import idempotency_records
from toss_sandbox.vocabulary.errors import TossApiError

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

    def parameters(self) -> dict[str, Any]:
        """The values of `_IN_SCOPE`'s parameters."""
        return {
            "scope_key": self.idempotency_key,
            "scope_digest": self.secret_key_digest,
            "scope_path": self.path,
            "scope_method": self.method,
        }


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str


# The statements are built once and executed with their values (see storage/payment_store.py). The
# scope's parameters are named apart from the columns, which an UPDATE's SET clause uses.
_IN_SCOPE: Final = and_(
    idempotency_records.c.idempotency_key == bindparam("scope_key"),
    idempotency_records.c.secret_key_digest == bindparam("scope_digest"),
    idempotency_records.c.path == bindparam("scope_path"),
    idempotency_records.c.method == bindparam("scope_method"),
)
_SELECT: Final = select(idempotency_records).where(_IN_SCOPE)
# ON CONFLICT DO NOTHING rather than a failing INSERT: where writers interleave
# (PostgreSQL), a first use racing another waits for it and then finds its record, instead
# of failing the whole transaction.
_INSERT_MARKER: Final = {
    "postgresql": postgresql.insert(idempotency_records).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(idempotency_records).on_conflict_do_nothing(),
}
_COMPLETE: Final = update(idempotency_records).where(_IN_SCOPE)
_RELEASE: Final = delete(idempotency_records).where(
    _IN_SCOPE, idempotency_records.c.response_status.is_(None)
)


async def _insert_marker(
    connection: AsyncConnection, scope: IdempotencyScope, now: datetime
) -> bool:
    """Whether a marker was inserted: False when the scope has a record already."""
    result = await connection.execute(
        _INSERT_MARKER[connection.dialect.name],
        {
            "idempotency_key": scope.idempotency_key,
            "secret_key_digest": scope.secret_key_digest,
            "path": scope.path,
            "method": scope.method,
            "first_used_at": now,
            "claimed_at": now,
        },
    )
    return result.rowcount == 1


async def _take_over(
    connection: AsyncConnection,
    scope: IdempotencyScope,
    condition: ColumnElement[bool],
    **values: object,
) -> bool:
    """Whether the record, still matching `condition`, is now this request's marker."""
    result = await connection.execute(
        update(idempotency_records).where(_IN_SCOPE, condition).values(**values),
        scope.parameters(),
    )
    return result.rowcount == 1


async def claim_in(
    connection: AsyncConnection, scope: IdempotencyScope, now: datetime
) -> StoredResponse | None:
    """In the caller's write transaction: the stored answer to replay, or None when the
    caller holds the scope's marker and must execute, then `complete_in`.

    Raises IDEMPOTENT_REQUEST_PROCESSING while another request holds the scope.
    """
    table = idempotency_records.c
    if await _insert_marker(connection, scope, now):
        return None
    row = (await connection.execute(_SELECT, scope.parameters())).first()
    if row is None:
        # Deleted as expired between the two statements (PostgreSQL): the key is free again.
        if await _insert_marker(connection, scope, now):
            return None
        raise TossApiError("IDEMPOTENT_REQUEST_PROCESSING")
    if row.first_used_at < now - RETENTION:
        # Past its 15 days: this use is a first use again.
        taken = await _take_over(
            connection,
            scope,
            table.first_used_at < now - RETENTION,
            first_used_at=now,
            claimed_at=now,
            response_status=None,
            response_body=None,
        )
    elif row.response_status is not None:
        return StoredResponse(row.response_status, row.response_body)
    elif now - row.claimed_at < ABANDONED_AFTER:
        raise TossApiError("IDEMPOTENT_REQUEST_PROCESSING")
    else:
        taken = await _take_over(
            connection,
            scope,
            and_(table.response_status.is_(None), table.claimed_at < now - ABANDONED_AFTER),
            claimed_at=now,
        )
    if not taken:
        # Another process took the record over between our read and our write.
        raise TossApiError("IDEMPOTENT_REQUEST_PROCESSING")
    return None


async def claim(
    database: Database, scope: IdempotencyScope, now: datetime
) -> StoredResponse | None:
    """`claim_in` in a transaction of its own, which commits the marker."""
    async with database.write() as connection:
        return await claim_in(connection, scope, now)


async def complete_in(
    connection: AsyncConnection, scope: IdempotencyScope, response: StoredResponse
) -> None:
    """Store the answer of the request holding the marker, in its own write transaction."""
    await connection.execute(
        _COMPLETE,
        {
            **scope.parameters(),
            "response_status": response.status,
            "response_body": response.body,
        },
    )


async def release(database: Database, scope: IdempotencyScope) -> None:
    """Drop the in-progress marker of a request that crashed before it had an answer.

    Its transaction rolled back, so nothing took effect and a retry may execute afresh.
    """
    async with database.write() as connection:
        await connection.execute(_RELEASE, scope.parameters())


async def delete_expired(database: Database, now: datetime) -> None:
    """Delete the records past their 15 days, which no request would replay any more."""
    async with database.write() as connection:
        await connection.execute(
            delete(idempotency_records).where(idempotency_records.c.first_used_at < now - RETENTION)
        )
