"""What one caller, and one client address, may spend over WebSockets against a real `serve`
process: each operation is a request of the address's budget, and open sockets are capped
per token subject and per address (docs/security.md, "Live status, abused").

Each test connects from a loopback address of its own (127.0.0.0/8 is all loopback), so each
has address buckets of its own in the module's one process."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import token_for
from tests.support.servers import ServerProcess
from tests.support.subscriptions import PROTOCOL, Session, websocket_url

pytestmark = pytest.mark.e2e

REQUESTS_PER_ADDRESS = 40
CONNECTIONS_PER_SUBJECT = 3
CONNECTIONS_PER_ADDRESS = 6
SERVE_SETTINGS = {
    "RATE_LIMIT_REQUESTS_PER_ADDRESS": str(REQUESTS_PER_ADDRESS),
    "SUBSCRIPTION_CONNECTIONS_PER_SUBJECT": str(CONNECTIONS_PER_SUBJECT),
    "SUBSCRIPTION_CONNECTIONS_PER_ADDRESS": str(CONNECTIONS_PER_ADDRESS),
}
# How long a place given back may take to be seen free: a guard against a hang only.
RELEASE_SECONDS = 10


@asynccontextmanager
async def socket_from(base_url: str, source: str, token: str) -> AsyncIterator[Session]:
    """A WebSocket opened from loopback address `source`, `connection_init` sent; the
    session's next message is the server's answer to it."""
    async with connect(
        websocket_url(base_url),
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        open_timeout=10,
        local_addr=(source, 0),
    ) as connection:
        session = Session(connection)
        # A socket refused on arrival may be closed before `connection_init` is sent.
        with suppress(ConnectionClosed):
            await session.send(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            )
        yield session


async def first_answer(session: Session) -> dict[str, Any] | tuple[int | None, str | None]:
    """The server's answer to `connection_init`: a message, or the socket's close."""
    try:
        return await session.message()
    except ConnectionClosed:
        return await session.closed()


async def acknowledged(session: Session) -> bool:
    message = await session.message()
    assert message == {"type": "connection_ack"}, message
    return True


async def open_sockets(
    stack: AsyncExitStack, base_url: str, source: str, tokens: list[str]
) -> list[Session]:
    sessions = [await stack.enter_async_context(socket_from(base_url, source, t)) for t in tokens]
    for session in sessions:
        await acknowledged(session)
    return sessions


async def run_query(session: Session, operation_id: str) -> dict[str, Any]:
    """The operation's answer: its `next` (then `complete`), or its `error`."""
    await session.subscribe(operation_id, "{ __typename }")
    answer = await session.message()
    assert answer["id"] == operation_id, answer
    if answer["type"] == "next":
        assert await session.message() == {"id": operation_id, "type": "complete"}
    return answer


async def test_every_operation_on_a_socket_is_a_request_of_the_address(
    served_api: ServerProcess,
) -> None:
    async with socket_from(served_api.url, "127.0.0.11", token_for("alice")) as session:
        await acknowledged(session)
        answers = [await run_query(session, str(n)) for n in range(REQUESTS_PER_ADDRESS + 5)]
        # Refused operations leave the socket open: the next message is still answered.
        await session.send({"type": "ping"})
        assert json.loads(await asyncio.wait_for(session.socket.recv(), 10)) == {"type": "pong"}

    # The upgrade was the address's first request.
    answered = [answer for answer in answers if answer["type"] == "next"]
    refused = [answer for answer in answers if answer["type"] == "error"]
    assert len(answered) == REQUESTS_PER_ADDRESS - 1
    assert answers[: len(answered)] == answered
    assert len(refused) == 6
    [error] = refused[0]["payload"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= error["extensions"]["retryAfter"] <= 60
    assert "Traceback" not in served_api.log()


async def test_a_caller_holds_a_few_sockets_open_at_most(served_api: ServerProcess) -> None:
    alice = token_for("alice")
    async with AsyncExitStack() as stack:
        held = await open_sockets(stack, served_api.url, "127.0.0.12", [alice] * 3)
        async with socket_from(served_api.url, "127.0.0.12", alice) as over:
            assert await over.closed() == (4429, "Too many connections: at most 3 per caller")
        # Bob's share is his own.
        async with socket_from(served_api.url, "127.0.0.13", token_for("bob")) as bobs:
            assert await acknowledged(bobs)

        # A socket closed gives its place back.
        await held[0].socket.close()
        deadline = time.monotonic() + RELEASE_SECONDS
        while True:
            async with socket_from(served_api.url, "127.0.0.14", alice) as again:
                first = await first_answer(again)
            if first == {"type": "connection_ack"} or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert first == {"type": "connection_ack"}
    assert "Traceback" not in served_api.log()


async def test_an_address_holds_a_bounded_number_of_sockets_open(
    served_api: ServerProcess,
) -> None:
    callers = [token_for(f"buyer-{n}") for n in range(CONNECTIONS_PER_ADDRESS + 1)]
    async with AsyncExitStack() as stack:
        await open_sockets(stack, served_api.url, "127.0.0.15", callers[:-1])
        async with socket_from(served_api.url, "127.0.0.15", callers[-1]) as over:
            assert await over.closed() == (4429, "Too many connections: at most 6 per address")
        # Another address is not this one.
        async with socket_from(served_api.url, "127.0.0.16", callers[-1]) as elsewhere:
            assert await acknowledged(elsewhere)
    assert "Traceback" not in served_api.log()
