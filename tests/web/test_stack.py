from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from tests.web.conftest import ClientFor, echo_body
from toss_graphql.web import http_defences

SHOP = "https://shop.example"


def defended_app() -> Starlette:
    return Starlette(
        routes=[Route("/graphql", echo_body, methods=["POST"])],
        middleware=http_defences(production=True, cors_origins=[SHOP], max_request_bytes=10),
    )


async def test_a_cross_origin_caller_can_read_its_413(client_for: ClientFor) -> None:
    async with client_for(defended_app()) as client:
        response = await client.post("/graphql", content=b"x" * 11, headers={"Origin": SHOP})

    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == SHOP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_a_preflight_answer_carries_the_security_headers(client_for: ClientFor) -> None:
    async with client_for(defended_app()) as client:
        response = await client.options(
            "/graphql", headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"}
        )

    assert response.status_code == 200
    assert response.headers["strict-transport-security"].startswith("max-age=63072000")
    assert response.headers["x-frame-options"] == "DENY"


def test_without_origins_the_stack_has_no_cors_layer() -> None:
    stack = http_defences(production=False, cors_origins=[], max_request_bytes=10)

    names = [getattr(cls, "__name__", "") for cls, _args, _kwargs in stack]
    assert names == ["SecurityHeadersMiddleware", "BodySizeLimitMiddleware"]
