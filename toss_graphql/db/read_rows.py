# Every fragment put into these statements is a constant of this module; every value is a
# bound parameter.
# ruff: noqa: S608
"""The statements of the read path, the rows they return, and the reads built on them.

The read path runs each statement on the driver itself (db/sqlite_reads.py,
db/postgres_reads.py): no ORM, no compilation, no result processors. So the SQL is written
here once, with `?` placeholders, and the values come back as each driver gives them: SQLite
hands back text for timestamps and JSON, asyncpg aware datetimes and decoded JSON.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import telemetry
from ..domain import toss_records
from ..domain.models import Failure, Order, OrderStatus, Payment
from ..domain.ports.gateway import Checkout, TossPaymentStatus
from ..domain.ports.storage import OrderCursor, OrderPage

_ORDER_COLUMNS = (
    "o.order_id, o.buyer, o.order_name, o.amount, o.status, o.created_at, o.updated_at, "
    "o.payment_key, o.failure_code, o.failure_message, o.attention, o.checkout"
)
# Toss's whole Payment JSON stays in the table; a read needs only its method objects, which
# come back as one JSON object under Toss's own keys (a key Toss left out reads as null).
_PAYMENT_COLUMNS = (
    "p.payment_key, p.order_id, p.method, p.total_amount, p.balance_amount, p.toss_status, "
    "p.approved_at, p.receipt_url, {method_objects}"
)
_METHOD_OBJECTS = ("virtualAccount", "card", "easyPay", "transfer", "mobilePhone")
_ORDER_WIDTH = 12
_CHECKOUTS = {checkout.value: checkout for checkout in Checkout}


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
    """The read path's SQL, rendered once for one dialect."""

    dialect: Dialect
    order: str
    order_with_payment: str

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> ReadStatements:
        payment_columns = _PAYMENT_COLUMNS.format(method_objects=dialect.method_objects)
        return cls(
            dialect=dialect,
            order=dialect.sql(f"SELECT {_ORDER_COLUMNS} FROM orders o WHERE o.order_id = ?"),
            order_with_payment=dialect.sql(
                f"SELECT {_ORDER_COLUMNS}, {payment_columns} FROM orders o "
                "LEFT JOIN payments p ON p.order_id = o.order_id WHERE o.order_id = ?"
            ),
        )

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
            moment = self.dialect.timestamp_in(after.created_at)
            conditions.append("(o.created_at < ? OR (o.created_at = ? AND o.order_id < ?))")
            values.extend([moment, moment, after.order_id])
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        values.append(first + 1)
        sql = (
            f"SELECT {_ORDER_COLUMNS} FROM orders o{where} "
            "ORDER BY o.created_at DESC, o.order_id DESC LIMIT ?"
        )
        return self.dialect.sql(sql), values

    def payments(self, count: int) -> str:
        placeholders = ", ".join("?" * count)
        payment_columns = _PAYMENT_COLUMNS.format(method_objects=self.dialect.method_objects)
        return self.dialect.sql(
            f"SELECT {payment_columns} FROM payments p WHERE p.order_id IN ({placeholders})"
        )

    def order_from(self, row: Sequence[Any]) -> Order:
        timestamp = self.dialect.timestamp_out
        failure_code, failure_message = row[8], row[9]
        return Order(
            order_id=row[0],
            buyer=row[1],
            order_name=row[2],
            amount=row[3],
            status=OrderStatus(row[4]),
            created_at=timestamp(row[5]),
            updated_at=timestamp(row[6]),
            payment_key=row[7],
            failure=None if failure_code is None else Failure(failure_code, failure_message or ""),
            attention=row[10],
            checkout=_CHECKOUTS[row[11]],
        )

    def payment_from(self, row: Sequence[Any], start: int = 0) -> Payment | None:
        if row[start] is None:
            return None
        method_objects = self.dialect.json_out(row[start + 8])
        return Payment(
            payment_key=row[start],
            order_id=row[start + 1],
            method=row[start + 2],
            total_amount=row[start + 3],
            balance_amount=row[start + 4],
            toss_status=TossPaymentStatus(row[start + 5]),
            approved_at=self.dialect.timestamp_out(row[start + 6]),
            receipt_url=row[start + 7],
            # Read by the same functions the gateway reads Toss's reply with.
            virtual_account=toss_records.virtual_account(method_objects),
            card=toss_records.card(method_objects),
            easy_pay=toss_records.easy_pay(method_objects),
            transfer=toss_records.transfer(method_objects),
            mobile_phone=toss_records.mobile_phone(method_objects),
        )

    def order_and_payment_from(self, row: Sequence[Any]) -> tuple[Order, Payment | None]:
        return self.order_from(row), self.payment_from(row, start=_ORDER_WIDTH)

    def page_from(self, rows: Sequence[Sequence[Any]], first: int) -> OrderPage:
        return OrderPage(
            orders=[self.order_from(row) for row in rows[:first]],
            has_next_page=len(rows) > first,
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
