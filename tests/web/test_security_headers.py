from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.web.conftest import ClientFor, routes_app
from toss_graphql.web import SecurityHeadersMiddleware
from toss_graphql.web.content_security_policy import API_POLICY, PAGE_POLICY

BASELINE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/payment", "/page", "/nowhere"])
async def test_every_response_gets_the_baseline_headers(client_for: ClientFor, path: str) -> None:
    async with client_for(SecurityHeadersMiddleware(routes_app(), production=False)) as client:
        response = await client.get(path)

    for name, value in BASELINE.items():
        assert response.headers[name] == value
    assert "camera=()" in response.headers["permissions-policy"]
    assert "content-security-policy" in response.headers


async def test_a_header_the_app_set_is_kept(client_for: ClientFor) -> None:
    async def framed(_: Request) -> Response:
        return JSONResponse(
            {"ok": True},
            headers={"X-Frame-Options": "SAMEORIGIN", "Cache-Control": "max-age=5"},
        )

    app = Starlette(routes=[Route("/framed", framed)])
    async with client_for(SecurityHeadersMiddleware(app, production=False)) as client:
        response = await client.get("/framed")

    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers.get_list("cache-control") == ["max-age=5"]


async def test_json_gets_the_closed_policy_and_no_store(client_for: ClientFor) -> None:
    async with client_for(SecurityHeadersMiddleware(routes_app(), production=False)) as client:
        response = await client.get("/payment")

    assert response.headers["content-security-policy"] == API_POLICY
    assert "default-src 'none'" in API_POLICY
    assert response.headers["cache-control"] == "no-store"


async def test_html_gets_the_page_policy(client_for: ClientFor) -> None:
    async with client_for(SecurityHeadersMiddleware(routes_app(), production=False)) as client:
        response = await client.get("/page")

    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert "frame-ancestors 'none'" in PAGE_POLICY
    assert "cache-control" not in response.headers


@pytest.mark.parametrize("production", [True, False])
async def test_hsts_is_sent_only_in_production(client_for: ClientFor, production: bool) -> None:
    async with client_for(SecurityHeadersMiddleware(routes_app(), production=production)) as c:
        response = await c.get("/payment")

    hsts = response.headers.get("strict-transport-security")
    assert hsts == ("max-age=63072000; includeSubDomains" if production else None)
