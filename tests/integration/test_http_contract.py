"""What any client sees at the HTTP edge: auth, bad input, GraphiQL, health."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import JWT_SECRET
from tests.support.flows import CONFIRM, CREATE_ORDER, ORDER, create_order, graphql

pytestmark = pytest.mark.usefixtures("catalog")


def _no_trace(body: object) -> None:
    text = str(body)
    assert "Traceback" not in text
    assert 'File "' not in text


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (ORDER, {"orderId": "ord_whatever"}),
        (CREATE_ORDER, {"input": {"lines": [{"sku": "americano"}]}}),
        (CONFIRM, {"paymentKey": "k", "orderId": "ord_whatever", "amount": 1000}),
    ],
    ids=["order", "createOrder", "confirmPayment"],
)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-jwt", "Basic abc", "Bearer " + "e30.e30.e30"],
    ids=["missing", "garbage", "wrong scheme", "unsigned"],
)
async def test_operations_without_a_valid_token_are_unauthenticated(
    api: httpx.AsyncClient, query: str, variables: dict[str, Any], authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await api.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    _no_trace(body)


async def test_expired_and_foreign_tokens_are_refused(api: httpx.AsyncClient) -> None:
    import jwt

    expired = jwt.encode({"sub": "alice", "exp": 1}, JWT_SECRET, algorithm="HS256")
    forged = jwt.encode(
        {"sub": "alice", "exp": 4_102_444_800},
        "another-secret-of-enough-length-for-hs256",
        algorithm="HS256",
    )
    unsigned = jwt.encode({"sub": "alice", "exp": 4_102_444_800}, "", algorithm="none")
    for token in (expired, forged, unsigned):
        body = await graphql(api, ORDER, {"orderId": "ord_whatever"}, token)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_typename_needs_no_token(api: httpx.AsyncClient) -> None:
    body = await graphql(api, "{ __typename }")
    assert body == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"paymentKey": "tgen_x", "orderId": "x" * 65, "amount": 1000}, "orderId"),
        ({"paymentKey": "tgen_x", "orderId": "short", "amount": 1000}, "orderId"),
        ({"paymentKey": "tgen_x", "orderId": "ord_<script>", "amount": 1000}, "orderId"),
        ({"paymentKey": "", "orderId": "ord_abcdefgh", "amount": 1000}, "paymentKey"),
        ({"paymentKey": "tgen_x", "orderId": "ord_abcdefgh", "amount": 0}, "amount"),
        ({"paymentKey": "tgen_x", "orderId": "ord_abcdefgh", "amount": -10}, "amount"),
        ({"paymentKey": "tgen_x", "orderId": "ord_abcdefgh", "amount": 2_000_000_000}, "amount"),
    ],
)
async def test_bad_confirm_arguments_get_invalid_input(
    api: httpx.AsyncClient, alice: str, variables: dict[str, Any], field: str
) -> None:
    body = await graphql(api, CONFIRM, variables, alice)
    payload = body["data"]["confirmPayment"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", field)]


async def test_unknown_order_id_is_order_not_found(api: httpx.AsyncClient, alice: str) -> None:
    body = await graphql(
        api, CONFIRM, {"paymentKey": "tgen_x", "orderId": "ord_doesnotexist", "amount": 1000}, alice
    )
    assert body["data"]["confirmPayment"]["errors"][0]["code"] == "ORDER_NOT_FOUND"


@pytest.mark.parametrize(
    "variables",
    [
        {"paymentKey": "tgen_x", "orderId": "ord_abcdefgh", "amount": "1000"},
        {"paymentKey": "tgen_x", "orderId": "ord_abcdefgh", "amount": 2**31},
        {"paymentKey": "tgen_x", "orderId": "ord_abcdefgh", "amount": 10.5},
        {"paymentKey": None, "orderId": "ord_abcdefgh", "amount": 1000},
        {"paymentKey": ["a"], "orderId": "ord_abcdefgh", "amount": 1000},
    ],
    ids=["string amount", "beyond Int", "fraction", "null key", "list key"],
)
async def test_wrong_types_are_graphql_errors_not_500s(
    api: httpx.AsyncClient, alice: str, variables: dict[str, Any]
) -> None:
    body = await graphql(api, CONFIRM, variables, alice)
    assert body.get("data") is None
    assert body["errors"]
    _no_trace(body)


async def test_huge_explicit_amount_is_invalid_input(api: httpx.AsyncClient, admin: str) -> None:
    body = await graphql(
        api, CREATE_ORDER, {"input": {"orderName": "big", "amount": 2_000_000_000}}, admin
    )
    error = body["data"]["createOrder"]["errors"][0]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "amount")


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"query": 5}', b""],
    ids=["malformed", "array", "query not a string", "empty"],
)
async def test_malformed_requests_get_a_4xx(api: httpx.AsyncClient, content: bytes) -> None:
    response = await api.post(
        "/graphql", content=content, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    _no_trace(response.text)


async def test_mutations_are_refused_over_get(api: httpx.AsyncClient, alice: str) -> None:
    response = await api.get(
        "/graphql",
        params={
            "query": 'mutation { failPayment(orderId: "ord_abcdefgh", code: "X") { errors '
            "{ code } } }"
        },
        headers={"Authorization": f"Bearer {alice}", "Accept": "application/json"},
    )
    assert response.status_code == 405


async def test_queries_work_over_get(api: httpx.AsyncClient, alice: str) -> None:
    order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
    response = await api.get(
        "/graphql",
        params={"query": f'{{ order(orderId: "{order["orderId"]}") {{ status }} }}'},
        headers={"Authorization": f"Bearer {alice}", "Accept": "application/json"},
    )
    assert response.json() == {"data": {"order": {"status": "PENDING"}}}


async def test_graphiql_is_served_to_browsers(api: httpx.AsyncClient) -> None:
    response = await api.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphql_response_media_type_is_honoured(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_health_and_readiness(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_every_response_carries_a_request_id(api: httpx.AsyncClient) -> None:
    response = await api.get("/healthz")
    assert len(response.headers["x-request-id"]) == 16


async def test_deeply_nested_documents_are_refused(api: httpx.AsyncClient) -> None:
    nested = "{ __schema { types { fields { type " + "{ ofType " * 20 + "{ name }" + " }" * 20
    nested += " } } } }"
    body = await graphql(api, nested)
    assert "deeper than 15 levels" in body["errors"][0]["message"]


async def test_graphiql_introspection_query_is_admitted(api: httpx.AsyncClient) -> None:
    from graphql import get_introspection_query

    body = await graphql(api, get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_metrics_report_orders_by_status(api: httpx.AsyncClient, alice: str) -> None:
    await create_order(api, alice, {"lines": [{"sku": "americano"}]})
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert 'toss_graphql_orders{status="PENDING"} 1.0' in lines
    assert 'toss_graphql_orders{status="PAID"} 0.0' in lines
    assert "toss_graphql_orders_needing_attention 0.0" in lines
    assert "toss_graphql_webhooks_unprocessed 0.0" in lines
