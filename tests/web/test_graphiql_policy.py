"""The page policy against the GraphiQL page Strawberry really renders.

If a Strawberry upgrade moves GraphiQL to another CDN or changes its inline script, these
tests fail here instead of leaving a blank page in the browser.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import urlsplit

import strawberry
from strawberry.asgi import GraphQL

from tests.web.conftest import ClientFor
from toss_graphql.web import SecurityHeadersMiddleware


@strawberry.type
class Query:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


class PageAssets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.script_urls: list[str] = []
        self.stylesheet_urls: list[str] = []
        self.icon_urls: list[str] = []
        self.inline_scripts: list[str] = []
        self.inline_styles = 0
        self._inline: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "script" and found.get("src"):
            self.script_urls.append(found["src"])
        elif tag == "script":
            self._inline = []
        elif tag == "style":
            self.inline_styles += 1
        elif tag == "link" and found.get("rel") == "stylesheet":
            self.stylesheet_urls.append(found["href"])
        elif tag == "link" and found.get("rel") == "icon":
            self.icon_urls.append(found["href"])

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline is not None:
            self.inline_scripts.append("".join(self._inline))
            self._inline = None


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def source_for(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"


async def rendered_graphiql(client_for: ClientFor) -> tuple[PageAssets, dict[str, list[str]]]:
    app = GraphQL[None, None](strawberry.Schema(query=Query), graphql_ide="graphiql")
    async with client_for(SecurityHeadersMiddleware(app, production=True)) as client:
        response = await client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assets = PageAssets()
    assets.feed(response.text)
    assets.close()
    return assets, directives(response.headers["content-security-policy"])


async def test_graphiql_scripts_and_stylesheets_come_from_allowed_hosts(
    client_for: ClientFor,
) -> None:
    assets, policy = await rendered_graphiql(client_for)

    assert assets.script_urls
    assert assets.stylesheet_urls
    for url in assets.script_urls:
        assert source_for(url) in policy["script-src"], url
    for url in assets.stylesheet_urls:
        assert source_for(url) in policy["style-src"], url
    for url in assets.icon_urls:
        assert source_for(url) in policy["img-src"], url


async def test_graphiql_inline_code_is_allowed_by_hash_not_by_unsafe_inline(
    client_for: ClientFor,
) -> None:
    assets, policy = await rendered_graphiql(client_for)

    assert assets.inline_scripts
    for script in assets.inline_scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert assets.inline_styles == 0 or "'unsafe-inline'" in policy["style-src"]
    assert policy["connect-src"] == ["'self'"]
