"""Faults a test switches on through `POST /admin/faults`, for the /v1 routes.

They live in the database, so every worker process sees them, and each application takes
one off its `times` in a conditional UPDATE, so a fault set for one request hits exactly one
even when workers race. Kinds:

- `latency`: do the work and commit it, then wait `latencyMs` before answering: Toss acted,
  but its reply is late, or lost to a client that gives up first;
- `error`: answer `status` (500, 502, 503 or 504) in Toss's error shape, doing nothing;
- `timeout`: answer nothing, doing nothing, until the client gives up;
- `drop_after_commit`: do the work and commit it (the idempotency record too), then answer
  nothing: a reply lost after the charge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.storage.database import Database
from toss_sandbox.storage.tables import faults

MAX_LATENCY_MS: Final = 120_000
ERROR_STATUSES: Final = frozenset({500, 502, 503, 504})
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PLACEHOLDER: Final = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_CODE: Final = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_FIELDS: Final = frozenset({"method", "path", "kind", "latencyMs", "status", "code", "times"})


class FaultKind(StrEnum):
    LATENCY = "latency"
    ERROR = "error"
    TIMEOUT = "timeout"
    DROP_AFTER_COMMIT = "drop_after_commit"


# The kinds that leave the client without an answer.
HANGING: Final = frozenset({FaultKind.TIMEOUT, FaultKind.DROP_AFTER_COMMIT})


class InvalidFault(ValueError):
    """A fault definition the sandbox cannot apply; the message says why."""


@dataclass(frozen=True, slots=True)
class FaultSpec:
    # None matches any method.
    method: str | None
    path: str
    kind: FaultKind
    latency_ms: int | None
    status: int | None
    code: str | None
    times: int

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(
            _path_pattern(self.path).fullmatch(path)
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "kind": self.kind.value,
            "latencyMs": self.latency_ms,
            "status": self.status,
            "code": self.code,
            "times": self.times,
        }


@dataclass(frozen=True, slots=True)
class Fault:
    id: int
    spec: FaultSpec

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec.as_json()}


@cache
def _path_pattern(path: str) -> re.Pattern[str]:
    """`/v1/payments/{paymentKey}/cancel`: one segment per placeholder; `/v1/*`: a prefix."""
    prefix = path.endswith("*")
    literal = path[:-1] if prefix else path
    parts: list[str] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(literal):
        parts.append(re.escape(literal[position : placeholder.start()]))
        parts.append("[^/]+")
        position = placeholder.end()
    parts.append(re.escape(literal[position:]))
    if prefix:
        parts.append(".*")
    return re.compile("".join(parts))


def _whole_number(value: object, field: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFault(f"{field} must be a whole number")
    if not minimum <= value <= maximum:
        raise InvalidFault(f"{field} must be between {minimum} and {maximum}")
    return value


def _method(value: object) -> str | None:
    if value is None or value == "*":
        return None
    if not isinstance(value, str) or value.upper() not in _METHODS:
        raise InvalidFault(f"method must be one of {', '.join(sorted(_METHODS))} or '*'")
    return value.upper()


def _path(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/v1/"):
        raise InvalidFault("path must be a /v1/ path (faults apply to Toss's API only)")
    if "*" in value[:-1]:
        raise InvalidFault("path may hold '*' only at its end")
    return value


def _error_answer(definition: dict[str, Any]) -> tuple[int, str | None]:
    status = definition.get("status", 500)
    if isinstance(status, bool) or status not in ERROR_STATUSES:
        raise InvalidFault("status must be 500, 502, 503 or 504")
    code = definition.get("code")
    if code is not None and (not isinstance(code, str) or not _CODE.fullmatch(code)):
        raise InvalidFault("code must be an upper-case error code such as COMMON_ERROR")
    return status, code


def parse_fault(definition: object) -> FaultSpec:
    if not isinstance(definition, dict):
        raise InvalidFault("a fault is a JSON object")
    unknown = set(definition) - _FIELDS
    if unknown:
        raise InvalidFault(f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        kind = FaultKind(str(definition.get("kind")))
    except ValueError:
        raise InvalidFault(f"kind must be one of {', '.join(FaultKind)}") from None
    latency_ms = status = code = None
    if kind is FaultKind.LATENCY:
        latency_ms = _whole_number(definition.get("latencyMs"), "latencyMs", 0, MAX_LATENCY_MS)
    elif "latencyMs" in definition:
        raise InvalidFault("latencyMs is for the latency kind only")
    if kind is FaultKind.ERROR:
        status, code = _error_answer(definition)
    elif "status" in definition or "code" in definition:
        raise InvalidFault("status and code are for the error kind only")
    return FaultSpec(
        method=_method(definition.get("method")),
        path=_path(definition.get("path")),
        kind=kind,
        latency_ms=latency_ms,
        status=status,
        code=code,
        times=_whole_number(definition.get("times", 1), "times", 1, 1_000_000),
    )


def parse_faults(body: object) -> list[FaultSpec]:
    """One fault object, or a list of them."""
    definitions = body if isinstance(body, list) else [body]
    if not definitions:
        raise InvalidFault("the list of faults is empty")
    return [parse_fault(definition) for definition in definitions]


def fault_from_row(row: Any) -> Fault:
    """A fault from a row with the `faults` table's columns."""
    return Fault(
        id=row.id,
        spec=FaultSpec(
            method=row.method,
            path=row.path,
            kind=FaultKind(row.kind),
            latency_ms=row.latency_ms,
            status=row.status,
            code=row.code,
            times=row.times,
        ),
    )


async def add_faults(database: Database, specs: list[FaultSpec]) -> list[Fault]:
    added: list[Fault] = []
    async with database.write() as connection:
        for spec in specs:
            result = await connection.execute(
                faults.insert().values(
                    method=spec.method,
                    path=spec.path,
                    kind=spec.kind,
                    latency_ms=spec.latency_ms,
                    status=spec.status,
                    code=spec.code,
                    times=spec.times,
                )
            )
            (fault_id,) = result.inserted_primary_key or (None,)
            assert isinstance(fault_id, int)
            added.append(Fault(fault_id, spec))
    return added


async def list_faults(connection: AsyncConnection) -> list[Fault]:
    """Faults still in force, in the order they are tried (first added first)."""
    rows = await connection.execute(select(faults).order_by(faults.c.id))
    return [fault_from_row(row) for row in rows]


async def clear_faults(database: Database, fault_id: int | None = None) -> int:
    """Remove one fault, or all of them; how many were removed."""
    statement = delete(faults)
    if fault_id is not None:
        statement = statement.where(faults.c.id == fault_id)
    async with database.write() as connection:
        result = await connection.execute(statement)
    return result.rowcount


async def take_fault_in(connection: AsyncConnection, candidates: list[Fault]) -> Fault | None:
    """Apply the first candidate that still has a use left, taking that use, in the caller's
    write transaction."""
    for fault in candidates:
        result = await connection.execute(
            update(faults)
            .where(faults.c.id == fault.id, faults.c.times > 0)
            .values(times=faults.c.times - 1)
        )
        if result.rowcount == 1:
            await connection.execute(delete(faults).where(faults.c.times <= 0))
            return fault
    return None
