"""Real HTTP on loopback inside the test's event loop: uvicorn serving an ASGI app, and a
webhook receiver that records what reaches it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

STARTUP_SECONDS = 5.0
# How long a test waits for the sandbox's background task to deliver a webhook.
DELIVERY_SECONDS = 5.0


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """`app` served on a free loopback port until the context ends; its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws="none",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(STARTUP_SECONDS):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass(frozen=True, slots=True)
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


class WebhookReceiver:
    """A merchant's webhook endpoint: records every POST and answers `status`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._arrivals = asyncio.Condition()
        self.status = 200
        self.url = ""
        self.app = Starlette(routes=[Route("/webhooks/toss", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        body = await request.json()
        async with self._arrivals:
            self.received.append(Received(dict(request.headers), body))
            self._arrivals.notify_all()
        return Response(status_code=self.status)

    def events(self) -> list[tuple[str, str]]:
        """(event type, status) of each webhook received, DEPOSIT_CALLBACK by its flat shape."""
        return [
            (
                received.body.get("eventType", "DEPOSIT_CALLBACK"),
                received.body.get("data", received.body)["status"],
            )
            for received in self.received
        ]

    async def wait_for(self, count: int) -> list[Received]:
        """The first `count` webhooks received, waiting for the sandbox's background task."""
        async with asyncio.timeout(DELIVERY_SECONDS), self._arrivals:
            await self._arrivals.wait_for(lambda: len(self.received) >= count)
        return self.received[:count]
