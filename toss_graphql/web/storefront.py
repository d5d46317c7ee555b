"""The reference storefront (toss_graphql/storefront/), served at /demo/ in development.

Plain HTML and ES modules, no build: the same files ship as a static site anywhere, with a
`config.json` beside them. Here `config.json` is written per request by the app (where the
API and Toss's SDK are, which of Toss's checkouts to pay through and their client keys), so the
pages work as soon as `serve` starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STOREFRONT = Path(__file__).resolve().parent.parent / "storefront"
DEMO_PATH = "/demo"

StorefrontConfig = Callable[[Request], Mapping[str, Any]]


def storefront_app(config_for: StorefrontConfig, page_policy: str) -> Starlette:
    """The pages with `page_policy` as their Content-Security-Policy (the payment SDK's origin
    must be in it), and config.json."""

    async def config(request: Request) -> Response:
        # no-store: it may carry the demo buyer's token.
        return JSONResponse(dict(config_for(request)), headers={"Cache-Control": "no-store"})

    return Starlette(
        routes=[
            Route("/config.json", config),
            Mount(
                "/",
                app=_WithPolicy(StaticFiles(directory=STOREFRONT, html=True), page_policy),
            ),
        ]
    )


class _WithPolicy:
    """Sends `policy` with every answer of `app`; the security headers' middleware keeps a
    policy a route set."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app = app
        self._header = (b"content-security-policy", policy.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self._header]}
            await send(message)

        await self.app(scope, receive, send_with_policy)
