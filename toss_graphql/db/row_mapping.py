"""Each table's row read into its model by column name: one mapping per table, for the read path
and the repositories alike.

A statement selects a table's columns in the order db/tables.py declares them (`Columns`), so
where a column lands in a row is known at import, and a row is read through an `itemgetter`
of those places: no lookup by name per row, and no list of places kept in step with a SQL
string by hand. A new column is declared in db/tables.py and read here by its name.

The repositories read SQLAlchemy's rows, whose values its column types have already converted
(`AS_CONVERTED`); the read path reads the drivers' own rows (db/read_rows.py) and converts
timestamps and JSON itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Table

from ..domain import toss_records
from ..domain.models import Cancel, Failure, Order, OrderStatus, Payment
from ..domain.ports.gateway import Checkout, TossPaymentStatus
from .tables import Base, CancelRow, OrderRow, PaymentRow

ORDERS = Base.metadata.tables[OrderRow.__tablename__]
PAYMENTS = Base.metadata.tables[PaymentRow.__tablename__]
CANCELS = Base.metadata.tables[CancelRow.__tablename__]

# Toss's whole JSON, as `payments.raw` and `cancels.raw` keep it.
RAW = "raw"
# On the read path, only a payment's method objects out of `raw`, as one JSON object under
# Toss's own keys: all a read shows of it (db/read_rows.py).
METHOD_OBJECTS = "method_objects"

_CHECKOUTS = {checkout.value: checkout for checkout in Checkout}

Row = Sequence[Any]


class Columns:
    """The columns of one table a statement selects, in the table's order, then any values it
    computes, each under its name."""

    def __init__(
        self,
        table: Table,
        *,
        leaving_out: Iterable[str] = (),
        computed: Sequence[tuple[str, str]] = (),
    ) -> None:
        left_out = frozenset(leaving_out)
        unknown = left_out - set(table.c.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {sorted(unknown)}")
        self.table_names = tuple(column.name for column in table.c if column.name not in left_out)
        self.computed = tuple(computed)
        self.names = self.table_names + tuple(name for name, _ in self.computed)
        self.width = len(self.names)

    def sql(self, alias: str) -> str:
        """The SELECT list, the table named by `alias`; a computed value's SQL names it too."""
        selected = [f"{alias}.{name}" for name in self.table_names]
        selected.extend(f"{expression} AS {name}" for name, expression in self.computed)
        return ", ".join(selected)

    def picker(self, *names: str, start: int = 0) -> Callable[[Row], Any]:
        """The values of these columns out of a row, in this order (one name: its value); the
        table's columns begin at `start` of the row (after another table's, in a join)."""
        missing = [name for name in names if name not in self.names]
        if missing:
            raise ValueError(f"{self.table_names} selects no {missing}")
        return itemgetter(*(start + self.names.index(name) for name in names))


@dataclass(frozen=True, slots=True)
class Decoding:
    """How a row's timestamps and JSON come back from where it was read."""

    timestamp: Callable[[Any], Any]
    json: Callable[[Any], Any]


def _as_given(value: Any) -> Any:
    return value


# SQLAlchemy's rows: UtcDateTime and JsonDocument (db/types.py) did the converting.
AS_CONVERTED = Decoding(timestamp=_as_given, json=_as_given)


def order_reader(columns: Columns, decoding: Decoding, start: int = 0) -> Callable[[Row], Order]:
    pick = columns.picker(
        "order_id",
        "buyer",
        "order_name",
        "amount",
        "status",
        "created_at",
        "updated_at",
        "payment_key",
        "failure_code",
        "failure_message",
        "attention",
        "checkout",
        start=start,
    )
    timestamp = decoding.timestamp

    def read(row: Row) -> Order:
        (
            order_id,
            buyer,
            order_name,
            amount,
            status,
            created_at,
            updated_at,
            payment_key,
            failure_code,
            failure_message,
            attention,
            checkout,
        ) = pick(row)
        return Order(
            order_id=order_id,
            buyer=buyer,
            order_name=order_name,
            amount=amount,
            status=OrderStatus(status),
            created_at=timestamp(created_at),
            updated_at=timestamp(updated_at),
            payment_key=payment_key,
            failure=None if failure_code is None else Failure(failure_code, failure_message or ""),
            attention=attention,
            checkout=_CHECKOUTS[checkout],
        )

    return read


def payment_reader(
    columns: Columns, decoding: Decoding, start: int = 0
) -> Callable[[Row], Payment | None]:
    """None for a row with no payment (an outer join's empty side). The method details are read
    from `raw`, kept whole as the Payment's own, or from `METHOD_OBJECTS` where a statement
    selects only those."""
    keeps_raw = RAW in columns.names
    pick = columns.picker(
        "payment_key",
        "order_id",
        "method",
        "total_amount",
        "balance_amount",
        "toss_status",
        "approved_at",
        "receipt_url",
        RAW if keeps_raw else METHOD_OBJECTS,
        start=start,
    )
    timestamp, json = decoding.timestamp, decoding.json

    def read(row: Row) -> Payment | None:
        (
            payment_key,
            order_id,
            method,
            total_amount,
            balance_amount,
            toss_status,
            approved_at,
            receipt_url,
            toss_json,
        ) = pick(row)
        if payment_key is None:
            return None
        details = json(toss_json)
        return Payment(
            payment_key=payment_key,
            order_id=order_id,
            method=method,
            total_amount=total_amount,
            balance_amount=balance_amount,
            toss_status=TossPaymentStatus(toss_status),
            approved_at=timestamp(approved_at),
            receipt_url=receipt_url,
            # Nothing of the method details is stored but Toss's JSON: they are read from
            # there, by the same functions the gateway reads Toss's reply with.
            virtual_account=toss_records.virtual_account(details),
            card=toss_records.card(details),
            easy_pay=toss_records.easy_pay(details),
            transfer=toss_records.transfer(details),
            mobile_phone=toss_records.mobile_phone(details),
            raw=details if keeps_raw else {},
        )

    return read


def cancel_reader(columns: Columns, decoding: Decoding) -> Callable[[Row], Cancel]:
    """Toss's JSON comes along as `raw` only where the statement selects it."""
    keeps_raw = RAW in columns.names
    pick = columns.picker(
        "transaction_key",
        "order_id",
        "payment_key",
        "buyer",
        "order_name",
        "cancel_amount",
        "cancel_reason",
        "canceled_at",
        "idempotency_key",
    )
    pick_raw = columns.picker(RAW) if keeps_raw else None
    timestamp, json = decoding.timestamp, decoding.json

    def read(row: Row) -> Cancel:
        (
            transaction_key,
            order_id,
            payment_key,
            buyer,
            order_name,
            cancel_amount,
            cancel_reason,
            canceled_at,
            idempotency_key,
        ) = pick(row)
        return Cancel(
            transaction_key=transaction_key,
            order_id=order_id,
            payment_key=payment_key,
            buyer=buyer,
            order_name=order_name,
            cancel_amount=cancel_amount,
            cancel_reason=cancel_reason,
            canceled_at=timestamp(canceled_at),
            idempotency_key=idempotency_key,
            raw=json(pick_raw(row)) if pick_raw is not None else {},
        )

    return read
