"""Throwaway databases and the rows the benchmarks read and confirm.

Rows go in through the benchmark's own INSERTs (bench/tables.py), many per statement, after
`toss-graphql migrate` has made the schema: seeding 100k orders through the API would take
longer than the benchmarks themselves.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from .tables import orders, payments, stored

# The buyer every benchmark token is issued to.
BUYER = "bench-buyer"
# In a large table, each buyer owns this many orders: the buyer's page is a slice of many.
ORDERS_PER_BUYER = 100
AMOUNT = 15_000
ORDER_NAME = "Bench mug"
_BATCH = 5_000


def new_order_id() -> str:
    # The project's shape (ord_ and 32 url-safe characters): random keys, as in production.
    return "ord_" + secrets.token_urlsafe(24)


def new_database_name(purpose: str) -> str:
    return f"toss_bench_{purpose}_{secrets.token_hex(4)}"


@contextmanager
def database(kind: str, directory: Path, purpose: str, postgres_url: str) -> Iterator[str]:
    """Yields the SQLAlchemy URL of a new empty database, removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'{purpose}.db'}"
        return
    import asyncio

    name = new_database_name(purpose)
    asyncio.run(_postgres_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    try:
        base = postgres_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        asyncio.run(_postgres_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _postgres_admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def toss_reply(
    order_id: str, payment_key: str, amount: int, approved_at: datetime
) -> dict[str, Any]:
    """A card payment as Toss answers a confirm: what the project keeps in `payments.raw`."""
    kst = approved_at.astimezone(UTC) + timedelta(hours=9)
    moment = kst.strftime("%Y-%m-%dT%H:%M:%S+09:00")
    return {
        "mId": "tosspayments",
        "version": "2022-11-16",
        "paymentKey": payment_key,
        "orderId": order_id,
        "orderName": ORDER_NAME,
        "status": "DONE",
        "type": "NORMAL",
        "method": "카드",
        "currency": "KRW",
        "country": "KR",
        "requestedAt": moment,
        "approvedAt": moment,
        "totalAmount": amount,
        "balanceAmount": amount,
        "suppliedAmount": round(amount / 1.1),
        "vat": amount - round(amount / 1.1),
        "taxFreeAmount": 0,
        "taxExemptionAmount": 0,
        "lastTransactionKey": secrets.token_hex(16).upper(),
        "isPartialCancelable": True,
        "useEscrow": False,
        "cultureExpense": False,
        "card": {
            "amount": amount,
            "issuerCode": "71",
            "acquirerCode": "71",
            "number": "43300403****734*",
            "installmentPlanMonths": 0,
            "approveNo": f"{secrets.randbelow(10**8):08d}",
            "useCardPoint": False,
            "cardType": "신용",
            "ownerType": "개인",
            "acquireStatus": "READY",
            "isInterestFree": False,
            "interestPayer": None,
        },
        "virtualAccount": None,
        "easyPay": None,
        "cancels": None,
        "failure": None,
        "receipt": {"url": f"https://dashboard.example/receipt/{payment_key}"},
        "checkout": {"url": f"https://api.example/v1/payments/{payment_key}/checkout"},
    }


async def seed_orders(url: str, total: int) -> str:
    """`total` orders; the benchmark buyer's are PAID with a payment each, the rest PENDING.

    With one order it is the buyer's. With more, buyers own ORDERS_PER_BUYER orders each,
    interleaved in time. Returns the buyer's newest order, the one the `order` read asks for.
    """
    buyers = max(1, total // ORDERS_PER_BUYER)
    now = datetime.now(UTC)
    start = now - timedelta(seconds=total)
    order_rows: list[dict[str, Any]] = []
    payment_rows: list[dict[str, Any]] = []
    target = ""
    for index in range(total):
        order_id = new_order_id()
        created = start + timedelta(seconds=index)
        mine = index % buyers == 0
        row = {
            "order_id": order_id,
            "buyer": BUYER if mine else f"buyer-{index % buyers:05d}",
            "order_name": ORDER_NAME,
            "amount": AMOUNT,
            "status": "PAID" if mine else "PENDING",
            "payment_key": None,
            "created_at": stored(created),
            "updated_at": stored(created),
        }
        if mine:
            target = order_id
            payment_key = "tgen_" + secrets.token_urlsafe(24)
            row["payment_key"] = payment_key
            approved = created + timedelta(seconds=1)
            payment_rows.append(
                {
                    "payment_key": payment_key,
                    "order_id": order_id,
                    "method": "카드",
                    "total_amount": AMOUNT,
                    "balance_amount": AMOUNT,
                    "toss_status": "DONE",
                    "approved_at": stored(approved.replace(microsecond=0)),
                    "receipt_url": f"https://dashboard.example/receipt/{payment_key}",
                    "raw": toss_reply(order_id, payment_key, AMOUNT, approved),
                    "created_at": stored(approved),
                    "updated_at": stored(approved),
                }
            )
        order_rows.append(row)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for first in range(0, len(order_rows), _BATCH):
                await connection.execute(insert(orders), order_rows[first : first + _BATCH])
            for first in range(0, len(payment_rows), _BATCH):
                await connection.execute(insert(payments), payment_rows[first : first + _BATCH])
        # Fresh statistics, as a database that has been running would have: the planner's
        # choices must not depend on when autovacuum last looked.
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    finally:
        await engine.dispose()
    return target


async def add_pending_orders(url: str, order_ids: Sequence[str]) -> None:
    """The benchmark buyer's PENDING orders, ready for a checkout and its confirm."""
    now = stored(datetime.now(UTC))
    rows = [
        {
            "order_id": order_id,
            "buyer": BUYER,
            "order_name": ORDER_NAME,
            "amount": AMOUNT,
            "status": "PENDING",
            "payment_key": None,
            "created_at": now,
            "updated_at": now,
        }
        for order_id in order_ids
    ]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for first in range(0, len(rows), _BATCH):
                await connection.execute(insert(orders), rows[first : first + _BATCH])
    finally:
        await engine.dispose()
