"""The sandbox's database connections under load: a pool of fixed size, so requests wait for
a connection instead of opening one each (and, with aiosqlite, a thread each)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from .driver import SandboxDriver, new_order_id

# More requests at once than any pool of the sandbox's holds connections.
CONCURRENT = 40


@pytest.fixture
def connections_opened() -> Iterator[list[object]]:
    """Every database connection any pool opens while the test runs."""
    opened: list[object] = []

    def count(dbapi_connection: Any, connection_record: Any) -> None:
        opened.append(dbapi_connection)

    event.listen(Pool, "connect", count)
    yield opened
    event.remove(Pool, "connect", count)


async def _paid_orders(toss: SandboxDriver, count: int) -> list[tuple[str, str]]:
    orders = [new_order_id() for _ in range(count)]
    keys = [await toss.approve_checkout(order_id) for order_id in orders]
    return list(zip(orders, keys, strict=True))


async def _confirm_all(toss: SandboxDriver, orders: list[tuple[str, str]]) -> None:
    responses = await asyncio.gather(
        *(
            toss.confirm(payment_key, order_id, idempotency_key=f"confirm-{order_id}")
            for order_id, payment_key in orders
        )
    )
    assert {response.status_code for response in responses} == {200}


async def test_concurrent_confirms_and_cancels_open_no_connection_once_the_pool_is_full(
    toss: SandboxDriver, connections_opened: list[object]
) -> None:
    warm_up, load = (
        await _paid_orders(toss, CONCURRENT),
        await _paid_orders(toss, CONCURRENT),
    )
    # The first burst may open the pool's connections; they are kept for what follows.
    await _confirm_all(toss, warm_up)
    opened_before, threads_before = len(connections_opened), threading.active_count()

    await _confirm_all(toss, load)
    cancels = await asyncio.gather(
        *(
            toss.cancel(payment_key, idempotency_key=f"cancel-{order_id}")
            for order_id, payment_key in warm_up + load
        )
    )

    assert {response.status_code for response in cancels} == {200}
    assert len(connections_opened) == opened_before
    assert threading.active_count() <= threads_before
