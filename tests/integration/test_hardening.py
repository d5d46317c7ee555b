"""What a hostile or curious client gets: production hides the schema, bugs are masked with a
request id, batches and oversized documents are refused before execution."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import settings_for
from tests.support.flows import CREATE_ORDER, ORDER, graphql
from tests.support.servers import ServerProcess
from toss_graphql.app import create_app
from toss_graphql.domain import orders


@pytest.fixture
async def production_api(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
        update={"app_env": "production"}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


async def test_production_refuses_introspection(production_api: httpx.AsyncClient) -> None:
    body = await graphql(production_api, "{ __schema { queryType { name } } }")
    assert "introspection" in body["errors"][0]["message"].lower()
    assert body.get("data") is None
    assert await graphql(production_api, "{ __typename }") == {"data": {"__typename": "Query"}}


async def test_production_serves_no_graphiql(production_api: httpx.AsyncClient) -> None:
    response = await production_api.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in response.text.lower()
    # Nor its assets: the folder is not mounted at all.
    assert (await production_api.get("/graphiql/index.html")).status_code == 404


async def test_production_errors_suggest_no_field_names(
    production_api: httpx.AsyncClient,
) -> None:
    body = await graphql(production_api, "{ ordr { status } }")
    assert "Did you mean" not in body["errors"][0]["message"]


async def test_development_errors_suggest_field_names(api: httpx.AsyncClient) -> None:
    body = await graphql(api, "{ ordr { status } }")
    assert "Did you mean" in body["errors"][0]["message"]


async def test_a_bug_is_masked_with_the_request_id(
    api: httpx.AsyncClient, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("connection string postgres://secret@db")

    monkeypatch.setattr(orders, "get_order", broken)
    monkeypatch.setattr(orders, "get_order_with_payment", broken)
    response = await api.post(
        "/graphql",
        json={"query": ORDER, "variables": {"orderId": "ord_abcdefgh"}},
        headers={"Authorization": f"Bearer {alice}"},
    )
    error = response.json()["errors"][0]
    request_id = response.headers["x-request-id"]
    assert error["message"] == f"Internal server error (request id {request_id})"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "secret" not in response.text


async def test_batched_operations_are_refused(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    )
    assert 400 <= response.status_code < 500


async def test_many_aliases_are_refused_before_execution(api: httpx.AsyncClient) -> None:
    document = "{ " + " ".join(f"a{i}: __typename" for i in range(200)) + " }"
    body = await graphql(api, document)
    assert body.get("data") is None
    assert "aliases" in body["errors"][0]["message"]


async def test_huge_documents_are_refused_before_execution(api: httpx.AsyncClient) -> None:
    document = "{ " + " ".join("__typename" for _ in range(6000)) + " }"
    body = await graphql(api, document)
    assert body.get("data") is None
    assert "token" in body["errors"][0]["message"].lower()


@pytest.fixture
async def strict_api(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
        update={"rate_limit_per_buyer": 2, "rate_limit_per_address": 3}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


@pytest.mark.usefixtures("catalog")
async def test_mutations_beyond_a_buyers_budget_are_rate_limited(
    strict_api: httpx.AsyncClient, alice: str, mallory: str
) -> None:
    def create() -> dict[str, object]:
        return {"query": CREATE_ORDER, "variables": {"input": {"lines": [{"sku": "americano"}]}}}

    for _ in range(2):
        ok = await strict_api.post(
            "/graphql", json=create(), headers={"Authorization": f"Bearer {alice}"}
        )
        assert ok.json()["data"]["createOrder"]["errors"] == []
    refused = await strict_api.post(
        "/graphql", json=create(), headers={"Authorization": f"Bearer {alice}"}
    )
    error = refused.json()["data"]["createOrder"]["errors"][0]
    assert error["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= 60

    # Another buyer still has a budget of their own, until the address's runs out.
    other = await strict_api.post(
        "/graphql", json=create(), headers={"Authorization": f"Bearer {mallory}"}
    )
    assert other.json()["data"]["createOrder"]["errors"] == []
    spent = await strict_api.post(
        "/graphql", json=create(), headers={"Authorization": f"Bearer {mallory}"}
    )
    assert spent.json()["data"]["createOrder"]["errors"][0]["code"] == "RATE_LIMITED"


async def test_queries_are_not_rate_limited(strict_api: httpx.AsyncClient, alice: str) -> None:
    for _ in range(10):
        body = await graphql(strict_api, "{ orders { edges { cursor } } }", token=alice)
        assert body["data"]["orders"]["edges"] == []


async def test_every_answer_carries_the_security_headers(api: httpx.AsyncClient) -> None:
    for response in (
        await api.get("/healthz"),
        await api.post("/graphql", json={"query": "{ __typename }"}),
        await api.post("/webhooks/toss", content=b"junk"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"


async def test_oversized_bodies_are_refused_with_413(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/graphql",
        content=b'{"query": "' + b" " * 200_000 + b'{ __typename }"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_no_cross_origin_access_unless_configured(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_configured_origins_are_allowed(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    settings = settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
        update={"cors_origins": "https://shop.example"}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            allowed = await client.options(
                "/graphql",
                headers={
                    "Origin": "https://shop.example",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization, content-type",
                },
            )
            other = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Origin": "https://evil.example"},
            )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-origin" not in other.headers
