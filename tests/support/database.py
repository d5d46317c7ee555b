"""Direct database steps for tests: seeding the catalog, changes no mutation makes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.postgres_notifications import APPLICATION_NAME
from toss_graphql.db.tables import CancelRow, OrderRow
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.demo import DEMO_PRODUCTS


async def seed_catalog(database_url: str) -> None:
    engine = create_database_engine(database_url)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            for product in DEMO_PRODUCTS:
                await uow.products.upsert(product)
    finally:
        await engine.dispose()


async def set_attention(database_url: str, order_id: str, attention: str) -> None:
    """An operator's note written straight into the order, as a change no mutation makes."""
    engine = create_database_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(OrderRow)
                .where(OrderRow.order_id == order_id)
                .values(attention=attention, updated_at=datetime.now(UTC))
            )
    finally:
        await engine.dispose()


async def add_cancels(database_url: str, order_id: str, count: int) -> None:
    """`count` cancel rows for the order, each with a long reason: an order whose every
    message is large."""
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = [
        {
            "transaction_key": f"tx-{order_id[-12:]}-{n}",
            "order_id": order_id,
            "payment_key": "pk-test",
            "buyer": "alice",
            "order_name": "test",
            "cancel_amount": 1,
            "cancel_reason": "사유 " * 60,
            "canceled_at": now,
            "idempotency_key": None,
            "raw": {},
            "created_at": now,
        }
        for n in range(count)
    ]
    engine = create_database_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(CancelRow), rows)
    finally:
        await engine.dispose()


async def kill_change_listeners(connection: AsyncConnection) -> int:
    """pg_terminate_backend for every order-change listener of this database; how many."""
    killed = await connection.scalar(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name AND datname = current_database()"
        ),
        {"name": APPLICATION_NAME},
    )
    return int(killed or 0)
