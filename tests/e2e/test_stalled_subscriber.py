"""A subscriber that stops reading is dropped once a send waits past
SUBSCRIPTION_SEND_TIMEOUT_SECONDS, not buffered without end (docs/realtime.md), on a real
`serve` process, on both databases.

A module of its own for its settings: pings are rare here. uvicorn's WebSocket ping, whose
timeout is SUBSCRIPTION_KEEPALIVE_SECONDS, goes unanswered by a client that reads nothing,
and with the short keep-alive the other subscription tests use it closes the socket first
on a loaded machine; this test is about the send timeout.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.conftest import token_for
from tests.support.database import add_cancels, set_attention
from tests.support.flows import create_order
from tests.support.servers import ServerProcess
from tests.support.subscriptions import stalled_subscriber, ws_session

pytestmark = pytest.mark.e2e

SERVE_SETTINGS = {
    "SUBSCRIPTION_KEEPALIVE_SECONDS": "60",
    "SUBSCRIPTION_SEND_TIMEOUT_SECONDS": "1",
}
DROPPED = "subscriber not reading; connection dropped"


async def test_a_subscriber_that_stops_reading_is_dropped_not_buffered(
    served_client: httpx.AsyncClient, served_api: ServerProcess, clean_database: str
) -> None:
    """Each message is large (the order carries 1,000 cancels); the client reads nothing after
    subscribing, so the socket's buffers (megabytes on loopback) fill and a send waits: past
    the send timeout the connection is dropped, and others go on."""
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    order_id = order["orderId"]
    await add_cancels(clean_database, order_id, count=1000)
    async with stalled_subscriber(served_api.url, alice, order_id):
        # Changes until the buffers fill: how many that takes depends on the socket buffers
        # and on how many changes the server folds into one message, so it is bounded by
        # time (a loaded machine sends fewer, later), not by a count.
        deadline = time.monotonic() + 90
        change = 0
        while DROPPED not in served_api.log():
            if time.monotonic() > deadline:
                pytest.fail(f"a client that reads nothing was never dropped:\n{served_api.log()}")
            change += 1
            await set_attention(clean_database, order_id, f"change {change}")
            await asyncio.sleep(0.06)
    async with ws_session(served_api.url, alice) as reader:
        await reader.follow("1", order_id)
        await reader.orders("1", until=lambda o: o["attention"] == f"change {change}")
        await set_attention(clean_database, order_id, "after")
        await reader.orders("1", until=lambda o: o["attention"] == "after")
    assert "Traceback" not in served_api.log()
