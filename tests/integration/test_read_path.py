"""The read path (docs/architecture.md §5) on real databases: it sees every commit, it reads
the same rows the repositories write, a SQLite reader never holds the event loop while it
waits for a lock, and a dead PostgreSQL connection costs no request."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.waiting import eventually
from toss_graphql.db import engine as engine_module
from toss_graphql.db import sqlite_reads
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.migrate import upgrade_to_head
from toss_graphql.db.reads import order_reads
from toss_graphql.db.tables import Base
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.domain.models import Order, OrderStatus, Payment
from toss_graphql.domain.ports.gateway import TossPaymentStatus, VirtualAccount
from toss_graphql.domain.ports.storage import OrderCursor, OrderReads
from toss_graphql.domain.state_machine import OrderEvent

NOW = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
async def reads(engine: AsyncEngine) -> AsyncIterator[OrderReads]:
    async with order_reads(engine) as reads:
        yield reads


def _order(number: int, buyer: str = "alice", minutes: int = 0) -> Order:
    moment = NOW + timedelta(minutes=minutes)
    return Order(
        order_id=f"ord_read_{number:04d}",
        buyer=buyer,
        order_name=f"주문 {number}",
        amount=1000 * number,
        status=OrderStatus.PENDING,
        created_at=moment,
        updated_at=moment,
    )


async def _add(engine: AsyncEngine, *orders: Order) -> None:
    async with UnitOfWorkFactory(engine)() as uow:
        for order in orders:
            await uow.orders.add(order, [])


async def test_an_order_and_its_payment_read_back_as_written(
    engine: AsyncEngine, reads: OrderReads
) -> None:
    order = _order(1)
    await _add(engine, order)
    assert await reads.order_with_payment(order.order_id) == (order, None)

    account = {"accountNumber": "X1234", "bankCode": "88", "customerName": "김토스"}
    payment = Payment(
        payment_key="tpay_read_1",
        order_id=order.order_id,
        method="가상계좌",
        total_amount=order.amount,
        balance_amount=order.amount,
        toss_status=TossPaymentStatus.WAITING_FOR_DEPOSIT,
        approved_at=None,
        receipt_url="https://receipt.example/1",
        raw={"paymentKey": "tpay_read_1", "virtualAccount": account, "card": None},
    )
    async with UnitOfWorkFactory(engine)() as uow:
        assert await uow.orders.transition(
            order.order_id, OrderEvent.CONFIRM_CLAIMED, now=NOW, payment_key="tpay_read_1"
        )
        assert await uow.orders.transition(
            order.order_id, OrderEvent.ACCOUNT_ISSUED, now=NOW + timedelta(seconds=1)
        )
        await uow.payments.save(payment, NOW)

    found = await reads.order_with_payment(order.order_id)
    assert found is not None
    read_order, read_payment = found
    assert read_order.status is OrderStatus.WAITING_FOR_DEPOSIT
    assert read_order.payment_key == "tpay_read_1"
    assert read_order.updated_at == NOW + timedelta(seconds=1)
    assert read_order.created_at == NOW and read_order.created_at.tzinfo is not None
    assert read_payment is not None
    assert read_payment.toss_status is TossPaymentStatus.WAITING_FOR_DEPOSIT
    assert read_payment.virtual_account == VirtualAccount("X1234", "88", "김토스", None)
    assert (read_payment.total_amount, read_payment.receipt_url) == (
        order.amount,
        "https://receipt.example/1",
    )
    assert await reads.payments([order.order_id, "ord_none"]) == {order.order_id: read_payment}
    assert await reads.order("ord_none") is None
    assert await reads.order_with_payment("ord_none") is None


async def test_pages_run_newest_first_and_resume_after_their_cursor(
    engine: AsyncEngine, reads: OrderReads
) -> None:
    # Two orders share a timestamp: the order id breaks the tie, in the cursor too.
    mine = [_order(number, minutes=number // 2) for number in range(1, 8)]
    await _add(engine, *mine, _order(99, buyer="mallory", minutes=30))
    expected = sorted(mine, key=lambda order: (order.created_at, order.order_id), reverse=True)

    seen: list[Order] = []
    after = None
    while True:
        page = await reads.orders(buyer="alice", status=None, first=3, after=after)
        seen.extend(page.orders)
        if not page.has_next_page:
            break
        last = page.orders[-1]
        after = OrderCursor(last.created_at, last.order_id)
    assert seen == expected

    everyone = await reads.orders(buyer=None, status=OrderStatus.PENDING, first=20, after=None)
    assert [order.buyer for order in everyone.orders][:1] == ["mallory"]
    assert len(everyone.orders) == 8 and not everyone.has_next_page
    none_paid = await reads.orders(buyer=None, status=OrderStatus.PAID, first=20, after=None)
    assert none_paid.orders == []
    flagged = await reads.orders(
        buyer=None, status=None, first=20, after=None, needs_attention=True
    )
    assert flagged.orders == []


async def test_a_read_sees_every_commit_and_nothing_uncommitted(
    engine: AsyncEngine, reads: OrderReads
) -> None:
    order = _order(1)
    await _add(engine, order)
    async with UnitOfWorkFactory(engine)() as uow:
        assert await uow.orders.transition(
            order.order_id, OrderEvent.CONFIRM_CLAIMED, now=NOW, payment_key="tpay_1"
        )
        # The writer's transaction is open: the read answers from the last commit, at once.
        shown = await asyncio.wait_for(reads.order(order.order_id), timeout=10)
        assert shown is not None and shown.status is OrderStatus.PENDING
    shown = await reads.order(order.order_id)
    assert shown is not None and shown.status is OrderStatus.CONFIRMING


async def test_a_sqlite_read_refused_a_lock_waits_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "toss-graphql.db")
    engine = create_database_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade_to_head(engine)
        order = _order(1)
        await _add(engine, order)
        # The lock below needs no other connection open: the writers' pool closes.
        await engine.dispose()
        waiting = _waits_on_a_thread(monkeypatch)
        async with order_reads(engine) as reads:
            await _read_under_an_exclusive_lock(path, reads, order, waiting)
    finally:
        await engine.dispose()


def _waits_on_a_thread(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Raised when a read the loop's connection was refused begins again on a worker thread."""
    began = threading.Event()
    fetch_waiting = sqlite_reads._fetch_waiting

    def noted(path: str, sql: str, values: Sequence[Any]) -> list[Any]:
        began.set()
        return fetch_waiting(path, sql, values)

    monkeypatch.setattr(sqlite_reads, "_fetch_waiting", noted)
    return began


async def _read_under_an_exclusive_lock(
    path: str, reads: OrderReads, order: Order, waiting: threading.Event
) -> None:
    # An exclusive-mode connection that has written keeps every reader out, WAL or not:
    # the worst a reader can meet.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    ticks = 0
    stop = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    read = asyncio.create_task(reads.order(order.order_id))
    # A window that must pass without the read ending, and with the loop ticking through it:
    # a read that waited on the loop's own connection would hold the ticker still. It opens
    # as the read begins, since a read holding the loop would do so from its first step.
    await asyncio.sleep(0.5)
    await eventually(waiting.is_set, "the refused read waiting on a thread")
    assert not read.done(), "the read waits for the lock"
    assert ticks >= 10, "the event loop ran on while the read waited"
    holder.execute("COMMIT")
    holder.close()
    shown = await asyncio.wait_for(read, timeout=30)
    stop.set()
    await ticker
    assert shown == order


async def test_dead_postgresql_connections_cost_no_read_and_no_write(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_database_engine(postgres_url)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(delete(table))
        async with order_reads(engine) as reads:
            await _survive_dead_connections(engine, reads, monkeypatch)
    finally:
        await engine.dispose()


async def _survive_dead_connections(
    engine: AsyncEngine, reads: OrderReads, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = _order(1)
    await _add(engine, order)
    assert await reads.order(order.order_id) == order

    async def kill_pooled_connections() -> None:
        async with engine.connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )

    # Many reads at once fill the pool, so more than one pooled connection dies.
    await asyncio.gather(*(reads.order(order.order_id) for _ in range(5)))
    await kill_pooled_connections()
    # A read on a dead connection is retried on a fresh one.
    assert await reads.order_with_payment(order.order_id) == (order, None)

    # A write checks out a connection idle past the threshold: it is pinged, found dead
    # and replaced before the transaction begins.
    await asyncio.gather(*(reads.order(order.order_id) for _ in range(5)))
    await kill_pooled_connections()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    await _add(engine, _order(2))
    assert await reads.order("ord_read_0002") == _order(2)
