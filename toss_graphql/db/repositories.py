"""The repositories of orders, products, payments and audit events over one database connection;
the cancels, cancel requests and webhook inbox have modules of their own beside this one."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any
from unicodedata import normalize

from sqlalchemy import (
    Row,
    Update,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.models import (
    CancelRequestStatus,
    Failure,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentEvent,
    Product,
)
from ..domain.state_machine import OrderEvent, edge
from ..request_context import request_id
from .row_mapping import AS_CONVERTED, Columns, order_reader, payment_reader
from .statements import upsert_for
from .tables import (
    Base,
    CancelRequestRow,
    OrderLineRow,
    OrderRow,
    PaymentEventRow,
    PaymentRow,
    ProductRow,
)

orders = Base.metadata.tables[OrderRow.__tablename__]
payments = Base.metadata.tables[PaymentRow.__tablename__]
products = Base.metadata.tables[ProductRow.__tablename__]
events = Base.metadata.tables[PaymentEventRow.__tablename__]
order_lines = Base.metadata.tables[OrderLineRow.__tablename__]
cancel_requests = Base.metadata.tables[CancelRequestRow.__tablename__]


# Every statement here selects whole tables, in their columns' order (db/row_mapping.py).
_ORDER_COLUMNS = Columns(orders)
_PAYMENT_COLUMNS = Columns(payments)
_order = order_reader(_ORDER_COLUMNS, AS_CONVERTED)
_payment_or_none = payment_reader(_PAYMENT_COLUMNS, AS_CONVERTED)
# The payment's columns after the order's in one row, under names of their own.
_JOINED_PAYMENT = [column.label(f"payment__{column.name}") for column in payments.c]
_joined_payment = payment_reader(_PAYMENT_COLUMNS, AS_CONVERTED, start=_ORDER_COLUMNS.width)


def _payment(row: Row[Any]) -> Payment:
    payment = _payment_or_none(row)
    assert payment is not None, "a payments row has its key"
    return payment


class SqlProductRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get_many(self, skus: Sequence[str]) -> dict[str, Product]:
        result = await self._connection.execute(select(products).where(products.c.sku.in_(skus)))
        return {row.sku: Product(row.sku, row.name, row.price, row.active) for row in result}

    async def upsert(self, product: Product) -> None:
        values = {"name": product.name, "price": product.price, "active": product.active}
        changed = await self._connection.execute(
            update(products).where(products.c.sku == product.sku).values(**values)
        )
        if changed.rowcount == 0:
            await self._connection.execute(insert(products).values(sku=product.sku, **values))


@cache
def _transition_statement(
    event: OrderEvent, *, by_payment_key: bool, by_status: bool, binds_payment_key: bool
) -> Update:
    """A transition's UPDATE of one shape, built once: a call only binds its values (a
    confirm runs two, and building a statement cost more than running it)."""
    move = edge(event)
    conditions = [
        orders.c.order_id == bindparam("p_order_id"),
        orders.c.status.in_(sorted(status.value for status in move.sources)),
    ]
    if by_payment_key:
        conditions.append(orders.c.payment_key == bindparam("p_expected_payment_key"))
    if by_status:
        conditions.append(orders.c.status == bindparam("p_expected_status"))
    values: dict[str, Any] = {
        "status": move.target.value,
        "updated_at": bindparam("p_updated_at", type_=orders.c.updated_at.type),
        "failure_code": bindparam("p_failure_code", type_=orders.c.failure_code.type),
        "failure_message": bindparam("p_failure_message", type_=orders.c.failure_message.type),
    }
    if binds_payment_key:
        values["payment_key"] = bindparam("p_payment_key", type_=orders.c.payment_key.type)
    return update(orders).where(*conditions).values(**values)


class SqlOrderRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, order: Order, lines: Sequence[OrderLine]) -> None:
        await self._connection.execute(
            insert(orders).values(
                order_id=order.order_id,
                buyer=order.buyer,
                order_name=order.order_name,
                amount=order.amount,
                status=order.status.value,
                payment_key=order.payment_key,
                created_at=order.created_at,
                updated_at=order.updated_at,
                checkout=order.checkout.value,
            )
        )
        if lines:
            await self._connection.execute(
                insert(order_lines),
                [
                    {
                        "order_id": order.order_id,
                        "sku": line.sku,
                        "product_name": line.product_name,
                        "unit_price": line.unit_price,
                        "quantity": line.quantity,
                    }
                    for line in lines
                ],
            )

    async def get(self, order_id: str) -> Order | None:
        result = await self._connection.execute(select(orders).where(orders.c.order_id == order_id))
        row = result.first()
        return _order(row) if row else None

    async def get_with_payment(self, order_id: str) -> tuple[Order, Payment | None] | None:
        result = await self._connection.execute(
            select(orders, *_JOINED_PAYMENT)
            .select_from(orders.outerjoin(payments, payments.c.order_id == orders.c.order_id))
            .where(orders.c.order_id == order_id)
        )
        row = result.first()
        return (_order(row), _joined_payment(row)) if row else None

    async def transition(
        self,
        order_id: str,
        event: OrderEvent,
        *,
        now: datetime,
        expected_payment_key: str | None = None,
        expected_status: OrderStatus | None = None,
        payment_key: str | None = None,
        failure: Failure | None = None,
    ) -> bool:
        # One conditional UPDATE is the whole claim: on PostgreSQL a concurrent UPDATE waits
        # for the row lock and re-checks the WHERE clause against the committed row; on
        # SQLite writers are serialized by BEGIN IMMEDIATE. Either way one caller wins.
        statement = _transition_statement(
            event,
            by_payment_key=expected_payment_key is not None,
            by_status=expected_status is not None,
            binds_payment_key=payment_key is not None,
        )
        result = await self._connection.execute(
            statement,
            {
                "p_order_id": order_id,
                "p_expected_payment_key": expected_payment_key,
                "p_expected_status": expected_status.value if expected_status else None,
                "p_payment_key": payment_key,
                "p_updated_at": now,
                "p_failure_code": failure.code if failure else None,
                "p_failure_message": failure.message if failure else None,
            },
        )
        return bool(result.rowcount == 1)

    async def find_by_name(self, buyer: str, order_name: str) -> Sequence[Order]:
        """The buyer's orders of that name in either Unicode form. Names are stored in NFC;
        one stored before that may be decomposed (as macOS types it), and is found too: the
        stored names are not rewritten (docs/architecture.md §2)."""
        spellings = sorted({normalize("NFC", order_name), normalize("NFD", order_name)})
        result = await self._connection.execute(
            select(orders)
            .where(orders.c.buyer == buyer, orders.c.order_name.in_(spellings))
            .order_by(orders.c.created_at, orders.c.order_id)
        )
        return [_order(row) for row in result]

    async def claim_lock(
        self, order_id: str, *, token: str, now: datetime, stale_before: datetime
    ) -> bool:
        result = await self._connection.execute(
            update(orders)
            .where(
                orders.c.order_id == order_id,
                or_(
                    orders.c.lock_token.is_(None),
                    orders.c.lock_token == token,
                    orders.c.locked_at < stale_before,
                ),
            )
            .values(lock_token=token, locked_at=now)
        )
        return bool(result.rowcount == 1)

    async def renew_lock(self, order_id: str, *, token: str, now: datetime) -> bool:
        result = await self._connection.execute(
            update(orders)
            .where(orders.c.order_id == order_id, orders.c.lock_token == token)
            .values(locked_at=now)
        )
        return bool(result.rowcount == 1)

    async def needing_settlement(
        self, *, changed_before: datetime, limit: int
    ) -> builtins.list[str]:
        """Orders whose outcome at Toss is not settled here yet, oldest first: a confirm or
        a virtual-account deposit still open, or a cancel request still pending."""
        # Unknown outcomes first (priority 0), then virtual accounts still waiting for their
        # deposit (priority 1): those wait for days and must never crowd out a lost reply.
        waiting = OrderStatus.WAITING_FOR_DEPOSIT.value
        open_orders = select(
            orders.c.order_id,
            orders.c.updated_at,
            case((orders.c.status == waiting, 1), else_=0).label("priority"),
        ).where(
            orders.c.status.in_([OrderStatus.CONFIRMING.value, waiting]),
            orders.c.updated_at < changed_before,
            orders.c.attention.is_(None),
        )
        pending_cancels = (
            select(orders.c.order_id, orders.c.updated_at, literal(0).label("priority"))
            .join(cancel_requests, cancel_requests.c.order_id == orders.c.order_id)
            .where(
                cancel_requests.c.status == CancelRequestStatus.PENDING.value,
                cancel_requests.c.updated_at < changed_before,
                orders.c.attention.is_(None),
            )
        )
        union = open_orders.union(pending_cancels).subquery()
        result = await self._connection.execute(
            select(union.c.order_id)
            .group_by(union.c.order_id)
            .order_by(func.min(union.c.priority), func.min(union.c.updated_at))
            .limit(limit)
        )
        return list(result.scalars())

    async def flag_attention(self, order_id: str, *, reason: str, now: datetime) -> None:
        await self._connection.execute(
            update(orders)
            .where(orders.c.order_id == order_id)
            .values(attention=reason[:200], updated_at=now)
        )

    async def release_lock(self, order_id: str, *, token: str) -> None:
        await self._connection.execute(
            update(orders)
            .where(orders.c.order_id == order_id, orders.c.lock_token == token)
            .values(lock_token=None, locked_at=None)
        )


class SqlPaymentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        # What this transaction wrote, by order id (None: removed). Reading it back answers
        # from here what the database would: the row is this transaction's until it ends,
        # locked on PostgreSQL and behind BEGIN IMMEDIATE on SQLite.
        self._written: dict[str, Payment | None] = {}

    async def get_many_by_order_id(self, order_ids: Sequence[str]) -> dict[str, Payment]:
        found = {
            order_id: payment
            for order_id in order_ids
            if (payment := self._written.get(order_id)) is not None
        }
        unknown = [order_id for order_id in order_ids if order_id not in self._written]
        if unknown:
            result = await self._connection.execute(
                select(payments).where(payments.c.order_id.in_(unknown))
            )
            found.update((row.order_id, _payment(row)) for row in result)
        return found

    async def save(self, payment: Payment, now: datetime) -> None:
        """Insert the payment, or bring its row up to date (a deposit, a cancel): one
        statement either way."""
        values = {
            "method": payment.method,
            "balance_amount": payment.balance_amount,
            "toss_status": payment.toss_status.value,
            "approved_at": payment.approved_at,
            "receipt_url": payment.receipt_url,
            "raw": payment.raw,
            "updated_at": now,
        }
        upsert = upsert_for(self._connection.dialect.name)
        result = await self._connection.execute(
            upsert(payments)
            .values(
                payment_key=payment.payment_key,
                order_id=payment.order_id,
                total_amount=payment.total_amount,
                created_at=now,
                **values,
            )
            .on_conflict_do_update(index_elements=[payments.c.payment_key], set_=values)
            # The row as stored (an update keeps its order and total), in the same statement.
            .returning(*payments.c)
        )
        stored = _payment(result.one())
        self._written[stored.order_id] = stored

    async def remove(self, payment_key: str) -> None:
        await self._connection.execute(
            delete(payments).where(payments.c.payment_key == payment_key)
        )
        for order_id, written in self._written.items():
            if written is not None and written.payment_key == payment_key:
                self._written[order_id] = None


# The audit INSERT, built once; each call binds its row.
_APPEND_EVENT = insert(events)


class SqlPaymentEventRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def append(self, event: PaymentEvent) -> None:
        await self._connection.execute(
            _APPEND_EVENT,
            {
                "order_id": event.order_id,
                "event_type": event.event_type.value,
                "request_id": request_id.get(),
                "payment_key": event.payment_key,
                "gateway_code": event.gateway_code,
                "detail": event.detail,
                "created_at": event.created_at,
            },
        )
