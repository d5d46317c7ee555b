"""Answers and stored rows of two runs made comparable: what the server or Toss generates
(order ids, payment keys, times, cursors) becomes a placeholder numbered by first appearance,
so two runs of the same steps read the same exactly when they did the same."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# Answer fields and row columns whose values each run generates afresh.
GENERATED = frozenset(
    {
        "orderId",
        "paymentKey",
        "transactionKey",
        "cursor",
        "endCursor",
        "startCursor",
        "createdAt",
        "updatedAt",
        "approvedAt",
        "canceledAt",
        "receiptUrl",
        "requestId",
        "order_id",
        "payment_key",
        "transaction_key",
        "request_id",
        "requested_order_id",
        "toss_idempotency_key",
        "lock_token",
        "locked_at",
        "created_at",
        "updated_at",
        "approved_at",
        "canceled_at",
        "sent_at",
        "receipt_url",
        "id",
    }
)
# Moments carry no identity, and two of them may fall on the same instant in one run and not
# in the other: each is named alike, not numbered.
MOMENTS = frozenset(
    {
        "createdAt",
        "updatedAt",
        "approvedAt",
        "canceledAt",
        "created_at",
        "updated_at",
        "approved_at",
        "canceled_at",
        "locked_at",
        "sent_at",
    }
)
# Shorter values (a row's serial number) are compared whole where they stand, never looked
# for inside other strings.
MIN_NAMED = 8
# Toss's whole replies and event details: their parts that matter are columns of their own.
UNCOMPARED_COLUMNS = frozenset({"raw", "detail"})


class Placeholders:
    """One run's generated values, each named by its field and the order it first appeared."""

    def __init__(self, buyer: str) -> None:
        self._names: dict[str, str] = {buyer: "<buyer>"}
        self._counts: dict[str, int] = {}

    def _name(self, field: str, value: str) -> str:
        if field in MOMENTS:
            return self._names.setdefault(value, "<moment>")
        known = self._names.get(value)
        if known is None:
            self._counts[field] = self._counts.get(field, 0) + 1
            known = self._names[value] = f"<{field}#{self._counts[field]}>"
        return known

    def note(self, value: Any, field: str = "") -> None:
        """Learns the generated values in `value` without changing it."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.note(item, key)
        elif isinstance(value, list | tuple):
            for item in value:
                self.note(item, field)
        elif field in GENERATED and isinstance(value, str) and len(value) >= MIN_NAMED:
            self._name(field, value)

    def apply(self, value: Any) -> Any:
        """`value` with every generated value it holds, whole or inside a string, named."""
        if isinstance(value, dict):
            return {key: self.apply(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.apply(item) for item in value]
        if not isinstance(value, str):
            return value
        # Longest first, so a value that holds another is named whole.
        for known in sorted(self._names, key=len, reverse=True):
            if known in value:
                value = value.replace(known, self._names[known])
        return value


_BY_BUYER = {
    "orders": "buyer = :buyer",
    "cancels": "buyer = :buyer",
    "cancel_requests": "buyer = :buyer",
    "order_lines": "order_id IN (SELECT order_id FROM orders WHERE buyer = :buyer)",
    "payments": "order_id IN (SELECT order_id FROM orders WHERE buyer = :buyer)",
    "payment_events": "order_id IN (SELECT order_id FROM orders WHERE buyer = :buyer)",
}


async def stored_rows(database_url: str, buyer: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of `buyer`'s orders, payments, events and cancels, by table, as stored."""
    engine = create_async_engine(database_url)
    rows: dict[str, list[dict[str, Any]]] = {}
    try:
        async with engine.connect() as connection:
            for table, condition in _BY_BUYER.items():
                result = await connection.execute(
                    text(f"SELECT * FROM {table} WHERE {condition}"),  # noqa: S608
                    {"buyer": buyer},
                )
                rows[table] = [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()
    return rows


def comparable_rows(
    rows: dict[str, list[dict[str, Any]]], placeholders: Placeholders
) -> dict[str, list[str]]:
    """Each table's rows with generated values named and Toss's documents left out, sorted:
    the two runs' rows were written in the same steps, not with the same keys."""
    for table_rows in rows.values():
        placeholders.note(table_rows)
    return {
        table: sorted(
            repr(
                {
                    column: placeholders.apply(
                        value if isinstance(value, str | int | None) else str(value)
                    )
                    for column, value in row.items()
                    if column not in UNCOMPARED_COLUMNS and column not in GENERATED
                }
            )
            for row in table_rows
        )
        for table, table_rows in rows.items()
    }
