"""The cancels a client asks for (`cancels`, `Order.cancels`) are read on the read path
(docs/architecture.md §5): outside any transaction, so on SQLite no writer holding the write
lock keeps them waiting, and on either database they read back as the cancels were stored."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.flows import cancel, graphql, paid_order
from toss_graphql.db.reads import order_reads
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.domain.models import Cancel, Order, OrderStatus
from toss_graphql.domain.ports.storage import CancelCursor, OrderReads

NOW = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)

CANCELS = """
query { cancels { edges { node { transactionKey orderId cancelAmount } }
                  pageInfo { hasNextPage } } }"""

ORDER_CANCELS = """
query OrderCancels($orderId: ID!) {
  order(orderId: $orderId) { orderId status cancels { transactionKey cancelAmount } }
}"""

# A guard against a hang, not a measure of speed: a read that waited for the write lock would
# wait out the writers' busy timeout (30 s) before answering.
ANSWER_WITHIN_SECONDS = 1.0


@contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """Another connection holds SQLite's write lock on the file for the block, as a writer in
    the middle of its transaction does."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        # Proof the lock is held: a second writer is refused at once.
        probe = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                probe.execute("BEGIN IMMEDIATE")
        finally:
            probe.close()
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def answer(api: httpx.AsyncClient, query: str, token: str, **variables: Any) -> Any:
    """The query's data, or a failure when no answer came in time. Not `asyncio.wait_for`: a
    request cancelled while its statement waits on a thread is answered only once that wait
    ends, and then with the API's own refusal, which would hide what went wrong."""
    request = asyncio.ensure_future(graphql(api, query, variables, token))
    done, _ = await asyncio.wait({request}, timeout=ANSWER_WITHIN_SECONDS)
    if not done:
        request.cancel()
        pytest.fail(f"no answer within {ANSWER_WITHIN_SECONDS} s while a writer held the lock")
    body = request.result()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("catalog")
async def test_cancels_answer_while_another_connection_holds_the_write_lock(
    api: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    admin: str,
    alice: str,
    clean_database: str,
) -> None:
    subscription = {"orderName": "정기 구독", "amount": 10000, "buyer": "alice"}
    order = await paid_order(api, sandbox_client, admin, subscription)
    ask = {"buyer": "alice", "orderName": "정기 구독", "reason": "고객 변심", "amount": 3000}
    made = await cancel(api, alice, ask)
    assert made["errors"] == [], made
    key = made["cancel"]["transactionKey"]
    path = make_url(clean_database).database
    assert path is not None

    with write_lock_held(path):
        listed = await answer(api, CANCELS, alice)
        shown = await answer(api, ORDER_CANCELS, alice, orderId=order["orderId"])

    assert listed["cancels"] == {
        "edges": [
            {"node": {"transactionKey": key, "orderId": order["orderId"], "cancelAmount": 3000}}
        ],
        "pageInfo": {"hasNextPage": False},
    }
    assert shown["order"] == {
        "orderId": order["orderId"],
        "status": "PARTIALLY_CANCELED",
        "cancels": [{"transactionKey": key, "cancelAmount": 3000}],
    }


@pytest.fixture
async def reads(engine: AsyncEngine) -> AsyncIterator[OrderReads]:
    async with order_reads(engine) as reads:
        yield reads


def _order(number: int, buyer: str) -> Order:
    return Order(
        order_id=f"ord_cancel_read_{number}",
        buyer=buyer,
        order_name=f"주문 {number}",
        amount=10000,
        status=OrderStatus.PAID,
        created_at=NOW,
        updated_at=NOW,
    )


def _cancel(order: Order, number: int, seconds: int) -> Cancel:
    return Cancel(
        transaction_key=f"tx_read_{number:02d}",
        order_id=order.order_id,
        payment_key=f"tpay_{order.order_id}",
        buyer=order.buyer,
        order_name=order.order_name,
        cancel_amount=100 * number,
        cancel_reason="고객 변심",
        canceled_at=NOW + timedelta(seconds=seconds),
        idempotency_key=f"refund-{number}" if number % 2 else None,
        raw={"transactionKey": f"tx_read_{number:02d}", "cardNumber": "not shown"},
    )


async def test_cancels_read_back_as_stored_per_order_and_page_by_page(
    engine: AsyncEngine, reads: OrderReads
) -> None:
    mine, theirs = _order(1, "alice"), _order(2, "mallory")
    # Two cancels share a moment: the transaction key breaks the tie, in the cursor too.
    stored = [_cancel(mine, number, seconds=number // 2) for number in range(1, 8)]
    other = _cancel(theirs, 20, seconds=60)
    async with UnitOfWorkFactory(engine)() as uow:
        await uow.orders.add(mine, [])
        await uow.orders.add(theirs, [])
        for each in [*stored, other]:
            await uow.cancels.add(each, NOW)

    # Toss's JSON is no part of what a read shows.
    shown = [_shown(each) for each in stored]
    by_order = await reads.cancels([mine.order_id, theirs.order_id, "ord_none"])
    assert by_order == {mine.order_id: shown, theirs.order_id: [_shown(other)], "ord_none": []}
    assert await reads.cancels([]) == {}

    seen: list[Cancel] = []
    after = None
    while True:
        page = await reads.cancel_page(buyer="alice", order_id=None, first=3, after=after)
        seen.extend(page.cancels)
        if not page.has_next_page:
            break
        last = page.cancels[-1]
        after = CancelCursor(last.canceled_at, last.transaction_key)
    newest_first = sorted(shown, key=lambda c: (c.canceled_at, c.transaction_key), reverse=True)
    assert seen == newest_first

    everyone = await reads.cancel_page(buyer=None, order_id=None, first=20, after=None)
    assert [each.buyer for each in everyone.cancels][:1] == ["mallory"]
    assert len(everyone.cancels) == 8 and not everyone.has_next_page
    of_theirs = await reads.cancel_page(buyer=None, order_id=theirs.order_id, first=20, after=None)
    assert of_theirs.cancels == [_shown(other)]
    assert (
        await reads.cancel_page(buyer="alice", order_id=theirs.order_id, first=5, after=None)
    ).cancels == []


def _shown(stored: Cancel) -> Cancel:
    return dataclasses.replace(stored, raw={})
