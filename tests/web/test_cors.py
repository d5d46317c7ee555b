from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from tests.web.conftest import ClientFor, payment_json
from toss_graphql.web import cors_middleware

SHOP = "https://shop.example"


def api_with_cors(origins: list[str]) -> Starlette:
    cors = cors_middleware(origins)
    return Starlette(
        routes=[Route("/graphql", payment_json, methods=["GET", "POST"])],
        middleware=[cors] if cors is not None else [],
    )


async def test_an_allowed_origin_may_read_the_answer(client_for: ClientFor) -> None:
    async with client_for(api_with_cors([SHOP])) as client:
        response = await client.post("/graphql", headers={"Origin": SHOP})

    assert response.headers["access-control-allow-origin"] == SHOP
    assert "access-control-allow-credentials" not in response.headers
    assert "Retry-After" in response.headers["access-control-expose-headers"]


async def test_another_origin_gets_no_cors_headers(client_for: ClientFor) -> None:
    async with client_for(api_with_cors([SHOP])) as client:
        response = await client.post("/graphql", headers={"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in response.headers


async def test_a_preflight_from_an_allowed_origin_is_answered(client_for: ClientFor) -> None:
    async with client_for(api_with_cors([SHOP])) as client:
        response = await client.options(
            "/graphql",
            headers={
                "Origin": SHOP,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SHOP
    assert response.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert response.headers["access-control-max-age"] == "600"


async def test_no_configured_origins_means_no_cors_at_all(client_for: ClientFor) -> None:
    assert cors_middleware([]) is None
    async with client_for(api_with_cors([])) as client:
        response = await client.post("/graphql", headers={"Origin": SHOP})

    assert not [name for name in response.headers if name.startswith("access-control-")]


async def test_a_lone_wildcard_allows_every_origin(client_for: ClientFor) -> None:
    async with client_for(api_with_cors(["*"])) as client:
        response = await client.post("/graphql", headers={"Origin": "https://any.example"})

    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "origins",
    [["*", SHOP], ["https://shop.example/"], ["shop.example"], ["https://"]],
)
def test_a_malformed_origin_list_is_refused_at_startup(origins: list[str]) -> None:
    with pytest.raises(ValueError, match="CORS origin"):
        cors_middleware(origins)
