"""The GraphiQL the package serves (built by `make graphiql`) against the page policy: every
script, stylesheet and icon from this origin, no inline script, and a policy naming no host.
tests/browser/test_graphiql.py shows the same in a real browser."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from tests.web.conftest import ClientFor
from toss_graphql.web import SecurityHeadersMiddleware
from toss_graphql.web.content_security_policy import PAGE_POLICY
from toss_graphql.web.graphiql import ASSETS_PATH, GRAPHIQL_BUILD, graphiql_assets, graphiql_page


class PageAssets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "script" and found.get("src"):
            self.urls.append(found["src"])
        elif tag == "script":
            self.inline_scripts += 1
        elif tag == "link" and found.get("href"):
            self.urls.append(found["href"])


def graphiql_app(build: Path = GRAPHIQL_BUILD) -> SecurityHeadersMiddleware:
    async def page(_: Request) -> Response:
        return graphiql_page(build)

    app = Starlette(
        routes=[Route("/graphql", page), Mount(ASSETS_PATH, app=graphiql_assets(build))]
    )
    return SecurityHeadersMiddleware(app, production=False)


def directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


async def test_every_asset_of_the_page_is_served_from_this_origin(client_for: ClientFor) -> None:
    async with client_for(graphiql_app()) as client:
        page = await client.get("/graphql")
        assets = PageAssets()
        assets.feed(page.text)
        assets.close()
        fetched = {url: await client.get(url) for url in assets.urls if not url.startswith("data:")}

    assert page.status_code == 200, "GraphiQL is not built: `make graphiql`"
    assert page.headers["content-security-policy"] == PAGE_POLICY
    assert assets.inline_scripts == 0
    assert fetched, "the page loads no script or stylesheet"
    for url, response in fetched.items():
        assert not urlsplit(url).netloc, url
        assert url.startswith(f"{ASSETS_PATH}/"), url
        assert response.status_code == 200, url
        # An editor worker runs under its own script's policy: the page's, not the API's.
        assert response.headers["content-security-policy"] == PAGE_POLICY, url


def test_the_page_policy_names_no_host_and_allows_no_inline_script() -> None:
    policy = directives(PAGE_POLICY)

    assert "://" not in PAGE_POLICY and "*" not in PAGE_POLICY
    assert policy["script-src"] == ["'self'"]
    assert policy["worker-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]


async def test_an_unbuilt_graphiql_says_how_to_build_it(
    client_for: ClientFor, tmp_path: Path
) -> None:
    async with client_for(graphiql_app(tmp_path)) as client:
        page = await client.get("/graphql")
        asset = await client.get(f"{ASSETS_PATH}/assets/index.js")

    assert page.status_code == 503
    assert "make graphiql" in page.text
    assert asset.status_code == 404


async def test_a_graphiql_built_after_start_up_is_served_at_the_next_reload(
    client_for: ClientFor, tmp_path: Path
) -> None:
    async with client_for(graphiql_app(tmp_path)) as client:
        before = await client.get("/graphql")
        (tmp_path / "index.html").write_text("<!doctype html><title>GraphiQL</title>")
        after = await client.get("/graphql")

    assert (before.status_code, after.status_code) == (503, 200)
    assert "<title>GraphiQL</title>" in after.text
