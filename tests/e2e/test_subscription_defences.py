"""Who may follow an order, and for how long: subscriptions' defences against a real `serve`
process, on both databases."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.conftest import JWT_SECRET, token_for
from tests.support.flows import create_order
from tests.support.servers import ServerProcess
from tests.support.subscriptions import (
    ORDER_UPDATED,
    Session,
    first_multipart_result,
    statuses,
    ws_connection,
    ws_session,
)
from tests.support.waiting import eventually
from toss_graphql.auth import issue_token
from toss_graphql.domain.models import Role

pytestmark = pytest.mark.e2e

SHOP = "https://shop.example"
SERVE_SETTINGS = {
    "CORS_ORIGINS": SHOP,
    "SUBSCRIPTIONS_PER_CONNECTION": "3",
    "SUBSCRIPTIONS_PER_SUBJECT": "4",
    "SUBSCRIPTION_INIT_TIMEOUT_SECONDS": "1",
    "SUBSCRIPTION_KEEPALIVE_SECONDS": "0.5",
    "SUBSCRIPTION_SEND_TIMEOUT_SECONDS": "1",
}


async def an_order(api: httpx.AsyncClient, buyer: str = "alice") -> str:
    order = await create_order(api, token_for(buyer), {"lines": [{"sku": "americano"}]})
    order_id: str = order["orderId"]
    return order_id


async def refusal(session: Session, operation_id: str) -> dict[str, Any]:
    """The one error a refused subscription ends with; then it completes."""
    message = await session.message()
    assert message["id"] == operation_id
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None
    [error] = message["payload"]["errors"]
    assert (await session.message()) == {"id": operation_id, "type": "complete"}
    return dict(error)


async def first_order_once_a_place_is_free(session: Session, order_id: str) -> dict[str, Any]:
    """The first order of a subscription subscribed again while refused for the share: the
    server frees a completed subscription's place after its `complete` arrives, and says
    nothing when it has done so."""
    first_orders: list[dict[str, Any]] = []
    tries = itertools.count()

    async def accepted() -> bool:
        operation_id = f"again-{next(tries)}"
        await session.follow(operation_id, order_id)
        message = await session.message()
        assert message["id"] == operation_id and message["type"] == "next", message
        if message["payload"].get("errors"):
            [error] = message["payload"]["errors"]
            assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS"}, message
            assert (await session.message()) == {"id": operation_id, "type": "complete"}
            return False
        first_orders.append(message["payload"]["data"]["orderUpdated"])
        return True

    await eventually(accepted, "a completed subscription's place given back")
    return first_orders[0]


async def test_another_buyers_order_and_a_missing_one_are_refused_alike(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    bobs = await an_order(served_client, "bob")
    async with ws_session(served_api.url, token_for("alice")) as session:
        await session.follow("theirs", bobs)
        theirs = await refusal(session, "theirs")
        await session.follow("missing", "ord_" + "x" * 32)
        missing = await refusal(session, "missing")
    assert theirs["message"] == missing["message"] == "order not found"
    assert theirs["extensions"] == missing["extensions"] == {"code": "ORDER_NOT_FOUND"}


async def test_an_admin_follows_any_buyers_order(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    order_id = await an_order(served_client, "bob")
    async with ws_session(served_api.url, token_for("ops", Role.ADMIN)) as session:
        await session.follow("1", order_id)
        assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]


async def test_the_token_may_come_in_the_upgrade_header(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    order_id = await an_order(served_client)
    async with ws_session(served_api.url, header_token=token_for("alice")) as session:
        await session.follow("1", order_id)
        assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "Forbidden: a valid bearer token is required"),
        ({"Authorization": "Bearer nope"}, "Forbidden: token is malformed"),
        (
            {"authorization": "Basic YWxpY2U6"},
            "Forbidden: expected 'Authorization: Bearer <token>'",
        ),
    ],
)
async def test_a_connection_without_a_valid_token_is_closed_at_init(
    served_client: httpx.AsyncClient,
    served_api: ServerProcess,
    params: dict[str, str],
    reason: str,
) -> None:
    async with ws_connection(served_api.url) as socket:
        session = Session(socket)
        await session.send({"type": "connection_init", "payload": params})
        assert await session.closed() == (4403, reason)
    # One INFO line, carrying the connection's request id.
    assert re.search(r"subscription connection refused .*request_id=[0-9a-f]{16}", served_api.log())
    assert "Traceback" not in served_api.log()


async def test_an_expired_token_closes_the_connection_when_it_expires(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    order_id = await an_order(served_client)
    # Accepted for about three more seconds: 30 s of leeway past an `exp` 27 s ago.
    short_lived = issue_token(JWT_SECRET, "alice", ttl=timedelta(seconds=-27))
    async with ws_session(served_api.url, short_lived) as session:
        await session.follow("1", order_id)
        assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]
        code, reason = await session.closed(within=15)
    assert (code, reason) == (4403, "Forbidden: token has expired")


async def test_a_page_on_a_foreign_origin_cannot_open_a_socket(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connection(served_api.url, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    # The shop's own pages, allowed by CORS_ORIGINS, may.
    async with ws_session(served_api.url, token_for("alice"), origin=SHOP) as session:
        await session.follow("1", await an_order(served_client))
        assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]


async def test_subscriptions_are_capped_per_connection_and_per_buyer(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    order_id = await an_order(served_client)
    alice = token_for("alice")
    async with (
        ws_session(served_api.url, alice) as first,
        ws_session(served_api.url, alice) as second,
    ):
        for operation_id in ("a", "b", "c"):
            await first.follow(operation_id, order_id)
            await first.orders(operation_id, until=lambda _: True)
        await first.follow("d", order_id)
        over_connection = await first.message()
        assert over_connection["type"] == "error"
        assert over_connection["payload"][0]["message"] == "Subscription limit reached"

        await second.follow("e", order_id)
        await second.orders("e", until=lambda _: True)
        await second.follow("f", order_id)
        over_buyer = await refusal(second, "f")
        assert over_buyer["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS"}

        # A completed subscription gives its place back.
        await first.complete("a")
        again = await first_order_once_a_place_is_free(second, order_id)
        assert statuses([again]) == ["PENDING"]
    # Bob's share is his own.
    async with ws_session(served_api.url, token_for("bob")) as bobs:
        await bobs.follow("1", await an_order(served_client, "bob"))
        assert statuses(await bobs.orders("1", until=lambda _: True)) == ["PENDING"]


async def test_a_connection_that_never_initialises_is_closed(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    async with ws_connection(served_api.url) as socket:
        assert await Session(socket).closed() == (4408, "Connection initialisation timeout")


async def test_an_idle_connection_is_pinged(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    async with ws_session(served_api.url, token_for("alice")) as session:
        raw = await asyncio.wait_for(session.socket.recv(), 5)
        assert json.loads(raw) == {"type": "ping"}


async def test_the_query_limits_hold_for_subscriptions(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    order_id = await an_order(served_client)
    aliases = " ".join(f"a{n}: orderUpdated(orderId: $orderId) {{ status }}" for n in range(40))
    deep = (
        "subscription S($orderId: ID!) { orderUpdated(orderId: $orderId) "
        + ("{ __typename payment " * 20)
        + "{ __typename }"
        + "}" * 21
    )
    async with ws_session(served_api.url, token_for("alice")) as session:
        await session.subscribe(
            "aliases", f"subscription S($orderId: ID!) {{ {aliases} }}", {"orderId": order_id}
        )
        too_many = await session.message()
        await session.subscribe("deep", deep, {"orderId": order_id})
        too_deep = await session.message()
    assert too_many["type"] == too_deep["type"] == "error", (too_many, too_deep)
    assert "aliases" in too_many["payload"][0]["message"]
    assert too_deep["payload"][0]["message"] == "the document is deeper than 15 levels"
    # A document past the token limit is not even parsed: the socket is closed, as the
    # protocol has it for a document that does not parse.
    huge = 'subscription S { orderUpdated(orderId: "x") { ' + "status " * 5000 + "} }"
    async with ws_session(served_api.url, token_for("alice")) as session:
        await session.subscribe("huge", huge)
        code, reason = await session.closed()
    assert code == 4400
    assert reason is not None
    assert "more than 5000 tokens" in reason


async def test_a_subscription_runs_over_http_multipart_too(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    """For clients that cannot open a WebSocket: the multipart subscription protocol."""
    order_id = await an_order(served_client)
    result = await first_multipart_result(
        served_client, ORDER_UPDATED, {"orderId": order_id}, token_for("alice")
    )
    assert result["data"]["orderUpdated"]["status"] == "PENDING"


@pytest.mark.parametrize(
    ("message", "closed_with"),
    [
        ({"type": "subscribe", "id": "1", "payload": {"query": 123}}, 4400),
        ({"type": "subscribe", "id": "1", "payload": {"query": None}}, 4400),
        ({"type": "subscribe", "id": "1", "payload": {"query": "{ x }", "variables": []}}, 4400),
        ({"type": "subscribe", "id": "1", "payload": "not an object"}, 4400),
        ({"type": "subscribe", "payload": {"query": "subscription { x }"}}, 4400),
        ({"type": "subscribe", "id": ["1"], "payload": {"query": "subscription { x }"}}, 4400),
        ({"type": "nonsense"}, 4400),
        ({"no type": True}, 4400),
    ],
    ids=[
        "query-number",
        "query-null",
        "variables-list",
        "payload-string",
        "no-id",
        "id-list",
        "unknown-type",
        "no-type",
    ],
)
async def test_a_malformed_message_closes_the_socket_without_a_trace(
    served_client: httpx.AsyncClient,
    served_api: ServerProcess,
    message: dict[str, Any],
    closed_with: int,
) -> None:
    async with ws_session(served_api.url, token_for("alice")) as session:
        await session.send(message)
        code, _ = await session.closed()
    assert code == closed_with
    assert "Traceback" not in served_api.log()
    assert "ERROR" not in served_api.log()


async def test_a_message_larger_than_a_request_body_closes_the_socket(
    served_client: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    async with ws_session(served_api.url, token_for("alice")) as session:
        await session.subscribe(
            "big", 'subscription { orderUpdated(orderId: "' + "x" * 200_000 + '") { status } }'
        )
        code, _ = await session.closed()
    assert code == 1009  # message too big
