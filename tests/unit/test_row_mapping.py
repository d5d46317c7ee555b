"""Rows are read into models by column name, their places taken from the table itself
(db/row_mapping.py): a table whose columns stand in another order, or with one more, reads
the same, and the SELECT list follows the table."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table

from toss_graphql.db import read_rows
from toss_graphql.db.row_mapping import (
    AS_CONVERTED,
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
from toss_graphql.domain.models import Cancel, Failure, Order, OrderStatus, Payment
from toss_graphql.domain.ports.gateway import Checkout, TossPaymentStatus, VirtualAccount

NOW = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
SQLITE = Decoding(timestamp=read_rows.SQLITE.timestamp_out, json=read_rows.SQLITE.json_out)

ORDER_VALUES: dict[str, Any] = {
    "order_id": "ord_1",
    "buyer": "alice",
    "order_name": "정기 구독",
    "amount": 10000,
    "status": "FAILED",
    "payment_key": "tpay_1",
    "failure_code": "REJECT_CARD_COMPANY",
    "failure_message": "거절",
    "lock_token": "token",
    "locked_at": NOW,
    "attention": None,
    "created_at": NOW,
    "updated_at": NOW,
    "checkout": "WIDGET",
}
ORDER = Order(
    order_id="ord_1",
    buyer="alice",
    order_name="정기 구독",
    amount=10000,
    status=OrderStatus.FAILED,
    created_at=NOW,
    updated_at=NOW,
    payment_key="tpay_1",
    failure=Failure("REJECT_CARD_COMPANY", "거절"),
    checkout=Checkout.WIDGET,
)


def _row(columns: Columns, values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values[name] for name in columns.names)


def _reordered(table: Table, *, extra: str | None = None) -> Table:
    """The same columns, last first, and one more when named: how a later migration may
    leave a table."""
    copies = [Column(column.name, column.type) for column in reversed(table.c)]
    if extra is not None:
        copies.insert(3, Column(extra, String(10)))
    return Table(table.name, MetaData(), *copies)


def test_an_order_reads_by_name_whatever_the_columns_order() -> None:
    as_declared = Columns(ORDERS)
    assert order_reader(as_declared, AS_CONVERTED)(_row(as_declared, ORDER_VALUES)) == ORDER

    reordered = Columns(_reordered(ORDERS, extra="note"))
    values = {**ORDER_VALUES, "note": "ignored"}
    assert order_reader(reordered, AS_CONVERTED)(_row(reordered, values)) == ORDER


def test_a_join_reads_each_table_from_where_its_columns_begin() -> None:
    orders, payments = Columns(ORDERS), Columns(PAYMENTS)
    raw = {"virtualAccount": {"accountNumber": "X1", "bankCode": "88", "customerName": "김"}}
    payment_values: dict[str, Any] = {
        "payment_key": "tpay_1",
        "order_id": "ord_1",
        "method": "가상계좌",
        "total_amount": 10000,
        "balance_amount": 7000,
        "toss_status": "PARTIAL_CANCELED",
        "approved_at": None,
        "receipt_url": None,
        "raw": raw,
        "created_at": NOW,
        "updated_at": NOW,
    }
    row = _row(orders, ORDER_VALUES) + _row(payments, payment_values)
    payment = payment_reader(payments, AS_CONVERTED, start=orders.width)(row)
    assert payment == Payment(
        payment_key="tpay_1",
        order_id="ord_1",
        method="가상계좌",
        total_amount=10000,
        balance_amount=7000,
        toss_status=TossPaymentStatus.PARTIAL_CANCELED,
        approved_at=None,
        receipt_url=None,
        virtual_account=VirtualAccount("X1", "88", "김", None),
        raw=raw,
    )
    # The outer join's empty side: no payment.
    empty = _row(orders, ORDER_VALUES) + (None,) * payments.width
    assert payment_reader(payments, AS_CONVERTED, start=orders.width)(empty) is None


def test_the_read_path_selects_the_tables_columns_and_decodes_the_drivers_values() -> None:
    # SQLite's own values: text timestamps and JSON.
    columns = Columns(
        PAYMENTS,
        leaving_out=("raw", "created_at", "updated_at"),
        computed=((METHOD_OBJECTS, "json_object()"),),
    )
    assert columns.sql("p") == (
        "p.payment_key, p.order_id, p.method, p.total_amount, p.balance_amount, "
        "p.toss_status, p.approved_at, p.receipt_url, json_object() AS method_objects"
    )
    methods = {"card": None, "transfer": {"bankCode": "88", "settlementStatus": "COMPLETED"}}
    values = {
        "payment_key": "tpay_2",
        "order_id": "ord_2",
        "method": "계좌이체",
        "total_amount": 5000,
        "balance_amount": 5000,
        "toss_status": "DONE",
        "approved_at": "2026-12-02 09:30:15.123456",
        "receipt_url": "https://receipt.example/2",
        METHOD_OBJECTS: json.dumps(methods),
    }
    payment = payment_reader(columns, SQLITE)(_row(columns, values))
    assert payment is not None
    assert payment.approved_at == NOW
    assert payment.transfer is not None and payment.transfer.bank_code == "88"
    # Only the method objects were read: no whole Toss JSON to carry.
    assert payment.raw == {}

    cancels = Columns(CANCELS, leaving_out=("raw", "created_at"))
    cancel_values = {
        "transaction_key": "tx_1",
        "order_id": "ord_1",
        "payment_key": "tpay_1",
        "buyer": "alice",
        "order_name": "정기 구독",
        "cancel_amount": 3000,
        "cancel_reason": "고객 변심",
        "canceled_at": "2026-12-02 09:30:15.123456",
        "idempotency_key": None,
    }
    assert cancel_reader(cancels, SQLITE)(_row(cancels, cancel_values)) == Cancel(
        "tx_1", "ord_1", "tpay_1", "alice", "정기 구독", 3000, "고객 변심", NOW
    )


def test_a_new_column_is_selected_without_another_edit() -> None:
    widened = Columns(_reordered(ORDERS, extra="note"), leaving_out=("lock_token", "locked_at"))
    assert "o.note" in widened.sql("o").split(", ")
    assert "o.lock_token" not in widened.sql("o").split(", ")


def test_a_name_the_table_lacks_is_refused_at_import() -> None:
    with pytest.raises(ValueError, match="no column"):
        Columns(ORDERS, leaving_out=("lock",))
    with pytest.raises(ValueError, match="selects no"):
        order_reader(Columns(ORDERS, leaving_out=("checkout",)), AS_CONVERTED)
