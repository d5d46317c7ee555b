"""Small Starlette apps behind the web middleware, reached through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

ClientFor = Callable[[ASGIApp], AbstractAsyncContextManager[httpx.AsyncClient]]


async def payment_json(_: Request) -> Response:
    return JSONResponse({"data": {"payment": {"orderId": "order-1", "totalAmount": 15000}}})


async def html_page(_: Request) -> Response:
    return HTMLResponse("<!doctype html><title>page</title><p>hello</p>")


async def echo_body(request: Request) -> Response:
    return PlainTextResponse(await request.body(), media_type="application/octet-stream")


def routes_app() -> Starlette:
    """JSON at /payment, HTML at /page, the request body echoed back at POST /echo."""
    return Starlette(
        routes=[
            Route("/payment", payment_json),
            Route("/page", html_page),
            Route("/echo", echo_body, methods=["POST"]),
        ]
    )


@pytest.fixture
def client_for() -> ClientFor:
    @asynccontextmanager
    async def client(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as opened:
            yield opened

    return client
