# Every fragment put into these statements is a constant of this module; every value is a
# bound parameter.
# ruff: noqa: S608
"""The statements of the read path, the rows they return, and the reads built on them.

The read path runs each statement on the driver itself (db/sqlite_reads.py,
db/postgres_reads.py): no ORM, no compilation, no result processors. So the SQL is written
here once, with `?` placeholders, and the values come back as each driver gives them: SQLite
hands back text for timestamps and JSON, asyncpg aware datetimes and decoded JSON. Each SELECT
list, and where each column lands in a row, comes from the table itself (db/row_mapping.py).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import telemetry
from ..domain.models import Cancel, Order, OrderStatus, Payment
from ..domain.ports.storage import CancelCursor, CancelPage, OrderCursor, OrderPage
from .row_mapping import (
    CANCELS,
    METHOD_OBJECTS,
    ORDERS,
    PAYMENTS,
    Columns,
    Decoding,
    cancel_reader,
    order_reader,
    payment_reader,
)

# What a read shows, by the tables' own columns (db/row_mapping.py): an order without its
# lock, which is the writers' business; a cancel without Toss's JSON, which no answer shows.
_ORDER_COLUMNS = Columns(ORDERS, leaving_out=("lock_token", "locked_at"))
_CANCEL_COLUMNS = Columns(CANCELS, leaving_out=("raw", "created_at"))
_ORDERS_SELECTED = _ORDER_COLUMNS.sql("o")
_CANCELS_SELECTED = _CANCEL_COLUMNS.sql("c")
# Toss's whole Payment JSON stays in the table; a read needs only its method objects, which
# come back as one JSON object under Toss's own keys (a key Toss left out reads as null).
_PAYMENT_LEFT_OUT = ("raw", "created_at", "updated_at")
_METHOD_OBJECTS = ("virtualAccount", "card", "easyPay", "transfer", "mobilePhone")


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the two databases on the read path."""

    # OpenTelemetry's `db.system.name`.
    name: str
    # How a statement names its n-th parameter (from 1).
    placeholder: str
    # Toss's method objects (`_METHOD_OBJECTS`) out of the stored Payment JSON, as one object.
    method_objects: str
    # How a timestamp is written as a parameter, and read back.
    timestamp_in: Any
    timestamp_out: Any
    json_out: Any

    def sql(self, text: str) -> str:
        parts = text.split("?")
        numbered = [parts[0]]
        for index, part in enumerate(parts[1:], start=1):
            numbered.append(self.placeholder.format(index) + part)
        return "".join(numbered)


def _sqlite_timestamp_in(moment: datetime) -> str:
    # SQLAlchemy's storage format for SQLite: naive UTC, always six fractional digits.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_timestamp_out(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _aware_timestamp_out(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _json_text_out(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _json_decoded_out(value: Any) -> Any:
    return value


def _sqlite_method_objects() -> str:
    # Inside json_object every value stays JSON. json_extract's own result would not be
    # JSON text for an odd value: a string comes back unquoted and a number as a number.
    pairs = ", ".join(f"'{key}', json_extract(p.raw, '$.{key}')" for key in _METHOD_OBJECTS)
    return f"json_object({pairs})"


def _postgresql_method_objects() -> str:
    pairs = ", ".join(f"'{key}', p.raw -> '{key}'" for key in _METHOD_OBJECTS)
    return f"jsonb_build_object({pairs})"


SQLITE = Dialect(
    name="sqlite",
    placeholder="?",
    method_objects=_sqlite_method_objects(),
    timestamp_in=_sqlite_timestamp_in,
    timestamp_out=_sqlite_timestamp_out,
    json_out=_json_text_out,
)
POSTGRESQL = Dialect(
    name="postgresql",
    placeholder="${}",
    method_objects=_postgresql_method_objects(),
    timestamp_in=lambda moment: moment,
    timestamp_out=_aware_timestamp_out,
    json_out=_json_decoded_out,
)


@dataclass(frozen=True, slots=True)
class ReadStatements:
    """The read path's SQL, rendered once for one dialect, and the readers of its rows."""

    dialect: Dialect
    order: str
    order_with_payment: str
    payments_selected: str
    order_from: Callable[[Sequence[Any]], Order]
    payment_from: Callable[[Sequence[Any]], Payment | None]
    joined_payment_from: Callable[[Sequence[Any]], Payment | None]
    cancel_from: Callable[[Sequence[Any]], Cancel]

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> ReadStatements:
        decoding = Decoding(timestamp=dialect.timestamp_out, json=dialect.json_out)
        payment_columns = Columns(
            PAYMENTS,
            leaving_out=_PAYMENT_LEFT_OUT,
            computed=((METHOD_OBJECTS, dialect.method_objects),),
        )
        orders, payments = _ORDERS_SELECTED, payment_columns.sql("p")
        return cls(
            dialect=dialect,
            order=dialect.sql(f"SELECT {orders} FROM orders o WHERE o.order_id = ?"),
            order_with_payment=dialect.sql(
                f"SELECT {orders}, {payments} FROM orders o "
                "LEFT JOIN payments p ON p.order_id = o.order_id WHERE o.order_id = ?"
            ),
            payments_selected=payments,
            order_from=order_reader(_ORDER_COLUMNS, decoding),
            payment_from=payment_reader(payment_columns, decoding),
            joined_payment_from=payment_reader(
                payment_columns, decoding, start=_ORDER_COLUMNS.width
            ),
            cancel_from=cancel_reader(_CANCEL_COLUMNS, decoding),
        )

    def _after(
        self, moment_column: str, key_column: str, moment: datetime, key: str
    ) -> tuple[str, list[Any]]:
        """Keyset paging, newest first: the rows after the cursor's."""
        value = self.dialect.timestamp_in(moment)
        condition = f"({moment_column} < ? OR ({moment_column} = ? AND {key_column} < ?))"
        return condition, [value, value, key]

    def orders(
        self,
        *,
        buyer: str | None,
        status: OrderStatus | None,
        first: int,
        after: OrderCursor | None,
        needs_attention: bool,
    ) -> tuple[str, list[Any]]:
        """Newest first, ties broken by order id, one more row than the page to tell whether
        another page follows; the same order as the cursor's."""
        conditions: list[str] = []
        values: list[Any] = []
        if needs_attention:
            conditions.append("o.attention IS NOT NULL")
        if buyer is not None:
            conditions.append("o.buyer = ?")
            values.append(buyer)
        if status is not None:
            conditions.append("o.status = ?")
            values.append(status.value)
        if after is not None:
            condition, bounds = self._after(
                "o.created_at", "o.order_id", after.created_at, after.order_id
            )
            conditions.append(condition)
            values.extend(bounds)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        values.append(first + 1)
        sql = (
            f"SELECT {_ORDERS_SELECTED} FROM orders o{where} "
            "ORDER BY o.created_at DESC, o.order_id DESC LIMIT ?"
        )
        return self.dialect.sql(sql), values

    def payments(self, count: int) -> str:
        placeholders = ", ".join("?" * count)
        return self.dialect.sql(
            f"SELECT {self.payments_selected} FROM payments p WHERE p.order_id IN ({placeholders})"
        )

    def cancels(self, count: int) -> str:
        """Each order's cancels, oldest first."""
        placeholders = ", ".join("?" * count)
        return self.dialect.sql(
            f"SELECT {_CANCELS_SELECTED} FROM cancels c "
            f"WHERE c.order_id IN ({placeholders}) ORDER BY c.canceled_at, c.transaction_key"
        )

    def cancel_page(
        self,
        *,
        buyer: str | None,
        order_id: str | None,
        first: int,
        after: CancelCursor | None,
    ) -> tuple[str, list[Any]]:
        """Newest first, ties broken by transaction key, one more row than the page, as
        `orders` pages."""
        conditions: list[str] = []
        values: list[Any] = []
        if buyer is not None:
            conditions.append("c.buyer = ?")
            values.append(buyer)
        if order_id is not None:
            conditions.append("c.order_id = ?")
            values.append(order_id)
        if after is not None:
            condition, bounds = self._after(
                "c.canceled_at", "c.transaction_key", after.canceled_at, after.transaction_key
            )
            conditions.append(condition)
            values.extend(bounds)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        values.append(first + 1)
        sql = (
            f"SELECT {_CANCELS_SELECTED} FROM cancels c{where} "
            "ORDER BY c.canceled_at DESC, c.transaction_key DESC LIMIT ?"
        )
        return self.dialect.sql(sql), values

    def order_and_payment_from(self, row: Sequence[Any]) -> tuple[Order, Payment | None]:
        return self.order_from(row), self.joined_payment_from(row)

    def page_from(self, rows: Sequence[Sequence[Any]], first: int) -> OrderPage:
        read = self.order_from
        return OrderPage(
            orders=[read(row) for row in rows[:first]], has_next_page=len(rows) > first
        )

    def cancel_page_from(self, rows: Sequence[Sequence[Any]], first: int) -> CancelPage:
        read = self.cancel_from
        return CancelPage(
            cancels=[read(row) for row in rows[:first]], has_next_page=len(rows) > first
        )


class StatementReads(ABC):
    """`OrderReads` over these statements: the databases differ only in how a statement is
    run and its rows fetched (db/sqlite_reads.py, db/postgres_reads.py)."""

    def __init__(self, dialect: Dialect) -> None:
        self._statements = ReadStatements.for_dialect(dialect)
        self._span_attributes = {"db.system.name": dialect.name}

    @abstractmethod
    async def _fetch(self, sql: str, values: Sequence[Any]) -> Sequence[Sequence[Any]]: ...

    async def _read(
        self, span_name: str, sql: str, values: Sequence[Any]
    ) -> Sequence[Sequence[Any]]:
        # A span of its own when tracing is on: these statements run on the driver itself,
        # where SQLAlchemy's instrumentation does not see them.
        with telemetry.span(span_name, telemetry.SpanKind.CLIENT, self._span_attributes):
            return await self._fetch(sql, values)

    async def order(self, order_id: str) -> Order | None:
        rows = await self._read("db.read order", self._statements.order, (order_id,))
        return self._statements.order_from(rows[0]) if rows else None

    async def order_with_payment(self, order_id: str) -> tuple[Order, Payment | None] | None:
        rows = await self._read("db.read order", self._statements.order_with_payment, (order_id,))
        return self._statements.order_and_payment_from(rows[0]) if rows else None

    async def orders(
        self,
        *,
        buyer: str | None,
        status: OrderStatus | None,
        first: int,
        after: OrderCursor | None,
        needs_attention: bool = False,
    ) -> OrderPage:
        sql, values = self._statements.orders(
            buyer=buyer, status=status, first=first, after=after, needs_attention=needs_attention
        )
        return self._statements.page_from(await self._read("db.read orders", sql, values), first)

    async def payments(self, order_ids: Sequence[str]) -> dict[str, Payment]:
        if not order_ids:
            return {}
        rows = await self._read(
            "db.read payments", self._statements.payments(len(order_ids)), order_ids
        )
        found = (self._statements.payment_from(row) for row in rows)
        return {payment.order_id: payment for payment in found if payment is not None}

    async def cancels(self, order_ids: Sequence[str]) -> dict[str, list[Cancel]]:
        found: dict[str, list[Cancel]] = {order_id: [] for order_id in order_ids}
        if not order_ids:
            return found
        rows = await self._read(
            "db.read cancels", self._statements.cancels(len(order_ids)), order_ids
        )
        read = self._statements.cancel_from
        for row in rows:
            cancel = read(row)
            found[cancel.order_id].append(cancel)
        return found

    async def cancel_page(
        self,
        *,
        buyer: str | None,
        order_id: str | None,
        first: int,
        after: CancelCursor | None,
    ) -> CancelPage:
        sql, values = self._statements.cancel_page(
            buyer=buyer, order_id=order_id, first=first, after=after
        )
        rows = await self._read("db.read cancels", sql, values)
        return self._statements.cancel_page_from(rows, first)
