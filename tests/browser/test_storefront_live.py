"""The success page's live updates when they fail, in Chromium on a real `serve`: the page's
WebSocket is answered by a stand-in that stays silent, refuses the subscription, answers an
error, ends it or drops the connection. Each time the page must fall back to polling the
`order` query, and still turn a virtual account PAID when the sandbox's deposit lands."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from playwright.async_api import WebSocketRoute, expect

from tests.browser.conftest import BrowserPage
from tests.browser.shop_steps import TIMEOUT_MS, approve, order_and_reach_window, row
from tests.support.servers import ServerProcess

Answer = Callable[[WebSocketRoute, dict[str, object]], Awaitable[None]]


async def _silent(socket: WebSocketRoute, message: dict[str, object]) -> None:
    """Takes every message and answers none, as a socket whose server has gone."""


async def _refusing(socket: WebSocketRoute, message: dict[str, object]) -> None:
    if message["type"] == "connection_init":
        socket.send(json.dumps({"type": "connection_ack"}))
    elif message["type"] == "subscribe":
        error = {"message": "Subscription limit reached"}
        socket.send(json.dumps({"id": message["id"], "type": "error", "payload": [error]}))


async def _answering_an_error(socket: WebSocketRoute, message: dict[str, object]) -> None:
    if message["type"] == "connection_init":
        socket.send(json.dumps({"type": "connection_ack"}))
    elif message["type"] == "subscribe":
        payload = {"data": None, "errors": [{"message": "Internal Server Error"}]}
        socket.send(json.dumps({"id": message["id"], "type": "next", "payload": payload}))


async def _completing(socket: WebSocketRoute, message: dict[str, object]) -> None:
    if message["type"] == "connection_init":
        socket.send(json.dumps({"type": "connection_ack"}))
    elif message["type"] == "subscribe":
        socket.send(json.dumps({"id": message["id"], "type": "complete"}))


async def _dropping(socket: WebSocketRoute, message: dict[str, object]) -> None:
    await socket.close(code=1012, reason="service restart")


async def _until(check: Callable[[], bool], shown: object) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not check():
        assert time.monotonic() < deadline, shown
        await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (_silent, "no answer within 5 s"),
        (_refusing, "the server refused the subscription: Subscription limit reached"),
        (_answering_an_error, "the server answered an error: Internal Server Error"),
        (_completing, "the server ended the subscription"),
        (_dropping, "the socket closed: 1012 service restart"),
    ],
    ids=["silent", "refused", "error", "complete", "dropped"],
)
async def test_the_success_page_polls_the_order_when_live_updates_fail(
    newcomer: ServerProcess, browser_page: BrowserPage, answer: Answer, why: str
) -> None:
    page, log = browser_page.page, browser_page.log
    shop, sandbox_url = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"

    def stand_in(socket: WebSocketRoute) -> None:
        async def on_message(text: str | bytes) -> None:
            await answer(socket, json.loads(text))

        socket.on_message(on_message)

    await page.route_web_socket(re.compile(r"/graphql$"), stand_in)
    order_id = await order_and_reach_window(page, shop, sandbox_url, "가상계좌")
    payment_key = (await approve(page, shop))["paymentKey"]
    await expect(row(page, "Status")).to_have_text("Waiting for your transfer", timeout=TIMEOUT_MS)
    stopped = f"Live updates of order {order_id} stopped ({why}); polling the order instead."
    await _until(lambda: f"warning: {stopped}" in log.console, log.console)
    async with httpx.AsyncClient(base_url=sandbox_url) as sandbox:
        deposit = await sandbox.post(f"/admin/virtual-accounts/{payment_key}/deposit")
        assert deposit.status_code == 200, deposit.text
    await expect(page.locator("#status")).to_have_text("Paid.", timeout=TIMEOUT_MS)
    await expect(row(page, "Status")).to_have_text("Paid")
    assert log.errors == [] and log.console_errors() == []
