"""GraphiQL as the API serves it in development: built by `make` from the npm registry
(web/), served from the package's own files, loading nothing from any other host.

The page is served at GET /graphql to browsers, its scripts, styles, fonts and editor
workers under /graphiql/. In production neither is mounted.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .content_security_policy import PAGE_POLICY

# Where `make graphiql` writes the build (web/vite.config.js); not in the repository.
GRAPHIQL_BUILD = Path(__file__).resolve().parent.parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL is not built</title></head>
<body><h1>GraphiQL is not built</h1>
<p>Run <code>make graphiql</code> in the repository (it needs Node.js 20 or newer and npm),
then reload. <code>make run</code> builds it too.</p>
<p>The API itself works without it: POST your queries to this URL.</p></body></html>
"""


@cache
def _read_page(build: Path) -> str:
    return (build / "index.html").read_text(encoding="utf-8")


def _built_page(build: Path) -> str | None:
    # Only a page found is remembered: one built after start-up is served at the next reload.
    try:
        return _read_page(build)
    except FileNotFoundError:
        return None


def graphiql_page(build: Path = GRAPHIQL_BUILD) -> Response:
    page = _built_page(build)
    if page is None:
        # The API answers; only the page is missing, and the page says how to make it.
        return HTMLResponse(NOT_BUILT, status_code=503)
    return HTMLResponse(page)


class _WithPagePolicy:
    """The assets carry the page's policy: an editor worker runs under its script's own
    policy, which must let it load its chunks from this origin."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._policy = (b"content-security-policy", PAGE_POLICY.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), self._policy]
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_policy)


def graphiql_assets(build: Path = GRAPHIQL_BUILD) -> ASGIApp:
    # check_dir=False: an unbuilt GraphiQL answers 404 for its assets, the API still starts.
    return _WithPagePolicy(StaticFiles(directory=build, check_dir=False))
