from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.types import Receive, Scope, Send

from tests.web.conftest import ClientFor, routes_app
from toss_graphql.web import BodySizeLimitMiddleware

TOO_LARGE = {
    "errors": [{"message": "request body too large", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]
}


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_declared_body_over_the_limit_is_refused_before_the_app_runs(
    client_for: ClientFor,
) -> None:
    calls: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope)

    async with client_for(BodySizeLimitMiddleware(app, max_bytes=10)) as client:
        response = await client.post("/graphql", content=b"x" * 11)

    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert calls == []


async def test_a_streamed_body_growing_past_the_limit_is_refused(client_for: ClientFor) -> None:
    limited = BodySizeLimitMiddleware(routes_app(), max_bytes=10)
    async with client_for(limited) as client:
        response = await client.post("/echo", content=chunks(b"12345", b"67890", b"1"))

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


async def test_a_body_up_to_the_limit_reaches_the_app_intact(client_for: ClientFor) -> None:
    limited = BodySizeLimitMiddleware(routes_app(), max_bytes=10)
    async with client_for(limited) as client:
        declared = await client.post("/echo", content=b"0123456789")
        streamed = await client.post("/echo", content=chunks(b"01234", b"56789"))

    assert (declared.status_code, declared.content) == (200, b"0123456789")
    assert (streamed.status_code, streamed.content) == (200, b"0123456789")
