"""A graphql-transport-ws client over a real WebSocket, as a mobile app or a page uses one."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"

ORDER_UPDATED = """
subscription Follow($orderId: ID!) {
  orderUpdated(orderId: $orderId) {
    orderId status attention updatedAt
    payment { paymentKey balanceAmount }
    cancels { cancelAmount }
  }
}"""


# Every cancel with its reason: a large message for an order with many.
EVERY_CANCEL = """
subscription Follow($orderId: ID!) {
  orderUpdated(orderId: $orderId) {
    orderId status attention cancels { transactionKey cancelReason canceledAt }
  }
}"""


def websocket_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/graphql"


@dataclass
class Session:
    """One acknowledged connection; messages are read in order, pings answered on the way."""

    socket: ClientConnection
    # Every message received, by operation id, in order.
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    async def subscribe(
        self, operation_id: str, query: str, variables: Mapping[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": dict(variables or {})}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def follow(self, operation_id: str, order_id: str) -> None:
        await self.subscribe(operation_id, ORDER_UPDATED, {"orderId": order_id})

    async def complete(self, operation_id: str) -> None:
        await self.send({"id": operation_id, "type": "complete"})

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def message(self, within: float = 10) -> dict[str, Any]:
        """The next message that is not a ping (a ping is answered with a pong)."""
        deadline = time.monotonic() + within
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), max(0.0, deadline - time.monotonic()))
            message: dict[str, Any] = json.loads(raw)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            self.received.setdefault(message.get("id", ""), []).append(message)
            return message

    async def orders(
        self, operation_id: str, until: Callable[[dict[str, Any]], bool], within: float = 20
    ) -> list[dict[str, Any]]:
        """Every order of `operation_id` delivered until one satisfies `until`."""
        deadline = time.monotonic() + within
        seen: list[dict[str, Any]] = []
        while True:
            message = await self.message(max(0.0, deadline - time.monotonic()))
            if message.get("id") != operation_id:
                continue
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            order: dict[str, Any] = message["payload"]["data"]["orderUpdated"]
            seen.append(order)
            if until(order):
                return seen

    async def closed(self, within: float = 10) -> tuple[int | None, str | None]:
        """The close code and reason, once the server has closed the connection."""
        try:
            while True:
                await self.message(within)
        except ConnectionClosed as closed:
            frame = closed.rcvd
            return (frame.code, frame.reason) if frame else (None, None)


def statuses(orders: list[dict[str, Any]]) -> list[str]:
    return [order["status"] for order in orders]


@asynccontextmanager
async def ws_connection(
    base_url: str,
    *,
    header_token: str | None = None,
    origin: str | None = None,
) -> AsyncIterator[ClientConnection]:
    """An open WebSocket to /graphql, before any graphql-transport-ws message."""
    headers = {"Authorization": f"Bearer {header_token}"} if header_token else {}
    async with connect(
        websocket_url(base_url),
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        additional_headers=headers,
        origin=origin,  # type: ignore[arg-type]
        open_timeout=10,
    ) as socket:
        yield socket


@asynccontextmanager
async def stalled_subscriber(base_url: str, token: str, order_id: str) -> AsyncIterator[None]:
    """A client that subscribes to the order, then reads nothing more: a socket whose receive
    buffer is small, and a client library that stops reading after one queued message."""
    url = httpx.URL(base_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((url.host, url.port))
    sock.setblocking(False)
    async with connect(
        websocket_url(base_url),
        sock=sock,
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        max_queue=1,
        # Uncompressed: deflate would shrink these repetitive messages to almost nothing.
        compression=None,
        open_timeout=10,
    ) as connection:
        session = Session(connection)
        await session.send(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        assert (await session.message())["type"] == "connection_ack"
        await session.subscribe("stalled", EVERY_CANCEL, {"orderId": order_id})
        yield


@asynccontextmanager
async def ws_session(
    base_url: str,
    token: str | None = None,
    *,
    header_token: str | None = None,
    origin: str | None = None,
) -> AsyncIterator[Session]:
    """A connection initialised with `token` in `connection_init` (or only the upgrade's
    header) and acknowledged."""
    async with ws_connection(base_url, header_token=header_token, origin=origin) as socket:
        session = Session(socket)
        params = {"Authorization": f"Bearer {token}"} if token else {}
        await session.send({"type": "connection_init", "payload": params})
        ack = await session.message()
        assert ack["type"] == "connection_ack", ack
        yield session


MULTIPART_ACCEPT = 'multipart/mixed;subscriptionSpec="1.0", application/json'


async def first_multipart_result(
    client: httpx.AsyncClient,
    document: str,
    variables: Mapping[str, Any],
    token: str | None = None,
) -> dict[str, Any]:
    """The first result of a subscription over HTTP multipart (heartbeats skipped): what a
    client that cannot open a WebSocket sees first."""
    headers = {"Accept": MULTIPART_ACCEPT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {"query": document, "variables": dict(variables)}
    async with client.stream("POST", "/graphql", json=body, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        found = re.search(r'boundary="?([^";]+)', response.headers["content-type"])
        assert found, response.headers["content-type"]
        boundary = found.group(1)
        received = ""
        async for chunk in response.aiter_text():
            received += chunk
            # A part is sent whole: its boundary first, then its headers and its JSON.
            for part in received.split(f"--{boundary}"):
                _, _, content = part.partition("\r\n\r\n")
                try:
                    parsed = json.loads(content)
                except ValueError:
                    continue  # not all of it has arrived
                if parsed:  # an empty part is a heartbeat
                    result: dict[str, Any] = parsed["payload"]
                    return result
    raise AssertionError(f"the stream ended without a result: {received!r}")
