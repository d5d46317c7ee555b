"""`GET /`, where uvicorn's start-up line points: in development a page of links to what a
newcomer can open; in production the API's JSON 404, for the service has no page there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .graphql_over_http import graphql_http_error

_LINKS = (
    (
        "/graphql",
        "GraphiQL",
        "explore the schema and run queries (the demo buyer's token is in"
        " the banner <code>serve</code> printed)",
    ),
    ("/demo/", "Storefront", "order and pay through Toss's payment widget"),
)
_DOCS = (
    ("docs/http.md", "GraphQL over HTTP, errors, trusted documents"),
    ("docs/realtime.md", "subscriptions"),
    ("docs/operations.md", "settings, limits, running a fleet"),
    ("docs/security.md", "tokens and defences"),
    ("docs/sandbox.md", "the Toss sandbox"),
)


def _page(with_sandbox: bool) -> str:
    items = "".join(f'<li><a href="{href}">{name}</a>: {what}</li>' for href, name, what in _LINKS)
    sandbox = (
        "<p>Payments go to the built-in Toss sandbox at <code>/sandbox</code>: no keys needed.</p>"
        if with_sandbox
        else ""
    )
    docs = "".join(f"<li><code>{path}</code>: {what}</li>" for path, what in _DOCS)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>toss-graphql</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,"></head>'
        '<body style="font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto;">'
        "<h1>toss-graphql</h1><p>A GraphQL payments API in front of Toss Payments, running in "
        f"development.</p><ul>{items}</ul>{sandbox}"
        f"<h2>Documentation</h2><p>In the repository's <code>docs/</code>:</p><ul>{docs}</ul>"
        "</body></html>"
    )


def home(*, production: bool, with_sandbox: bool) -> Callable[[Request], Awaitable[Response]]:
    page = _page(with_sandbox)

    async def answer(_: Request) -> Response:
        if production:
            return graphql_http_error(404, "nothing here: the API is at /graphql")
        return HTMLResponse(page)

    return answer
