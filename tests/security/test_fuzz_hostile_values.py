"""Values no honest client sends, on SQLite and PostgreSQL: NUL, control characters and lone
surrogates in every string argument, numbers past every integer width, JSON nested past any
need, and webhooks with every field forged. Whatever arrives, the answer is a typed refusal
or a normal answer: never a 5xx, never a masked internal error.

Examples are derandomized, so CI sends the same ones on every run.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import settings_for, token_for
from tests.security.clean_answers import assert_answer_is_clean
from tests.support.flows import CANCEL, CONFIRM, CREATE_ORDER, FAIL, ORDER
from tests.support.servers import ServerProcess
from toss_graphql.app import create_app
from toss_graphql.domain.errors import ErrorCode
from toss_graphql.domain.models import Role

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ADMIN = f"Bearer {token_for('ops', Role.ADMIN)}"
ORDERS = "query Orders($first: Int, $after: String) {\n" + (
    "  orders(first: $first, after: $after) { edges { cursor } } }"
)
CANCELS = "query Cancels($buyer: String, $orderId: ID, $after: String) {\n" + (
    "  cancels(buyer: $buyer, orderId: $orderId, after: $after) { edges { cursor } } }"
)

# Pieces no keyboard types, and the ones it does, to be strung together.
HOSTILE_PIECES = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ud800", "\udfff", "\ufeff", "\u202e"]
HOSTILE_TEXT = st.lists(
    st.sampled_from(HOSTILE_PIECES) | st.sampled_from(["a", "ord_12345678", " ", "한"]),
    min_size=1,
    max_size=6,
).map("".join)
HUGE_NUMBERS = st.sampled_from([2**31, -(2**31) - 1, 2**53 + 1, 2**63, -(2**64), 10**30, 1e308])

# Each document with the variables that make it valid, and which of them are strings.
STRING_ARGUMENTS: list[tuple[str, dict[str, Any], list[str]]] = [
    (ORDER, {"orderId": "ord_12345678"}, ["orderId"]),
    (ORDERS, {"first": 5}, ["after"]),
    (CANCELS, {}, ["buyer", "orderId", "after"]),
    (
        CREATE_ORDER,
        {"input": {"orderName": "coffee", "amount": 1000, "buyer": "alice"}},
        ["input.orderName", "input.buyer"],
    ),
    (CREATE_ORDER, {"input": {"lines": [{"sku": "americano"}]}}, ["input.lines.0.sku"]),
    (CONFIRM, {"paymentKey": "pk", "orderId": "ord_12345678", "amount": 1000}, ["paymentKey"]),
    (CONFIRM, {"paymentKey": "pk", "orderId": "ord_12345678", "amount": 1000}, ["orderId"]),
    (FAIL, {"orderId": "ord_12345678", "code": "USER_CANCEL"}, ["orderId", "code", "message"]),
    (
        CANCEL,
        {"buyer": "alice", "orderName": "coffee", "reason": "why"},
        ["buyer", "orderName", "reason", "orderId", "idempotencyKey"],
    ),
]
NUMBER_ARGUMENTS: list[tuple[str, dict[str, Any], list[str]]] = [
    (ORDERS, {}, ["first"]),
    (
        CREATE_ORDER,
        {"input": {"orderName": "coffee", "amount": 1000, "buyer": "alice"}},
        ["input.amount"],
    ),
    (
        CREATE_ORDER,
        {"input": {"lines": [{"sku": "americano", "quantity": 1}]}},
        ["input.lines.0.quantity"],
    ),
    (CONFIRM, {"paymentKey": "pk", "orderId": "ord_12345678", "amount": 1000}, ["amount"]),
    (CANCEL, {"buyer": "alice", "orderName": "coffee", "reason": "why"}, ["amount"]),
]


@pytest.fixture
async def api(settings_any_database: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_any_database)
    async with app.router.lifespan_context(app):
        # An exception that escapes the app reaches the client as the 500 a server would send.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


@pytest.fixture
def settings_any_database(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> Any:
    # Every example comes from one address; the fuzzer is not what the rate limits are for.
    return settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
        update={
            "rate_limit_per_address": 100_000,
            "rate_limit_per_buyer": 100_000,
            "rate_limit_requests_per_address": 100_000,
            "rate_limit_anonymous_per_address": 100_000,
        }
    )


def _set(variables: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A deep copy of `variables` with the dotted `path` (list indexes as digits) set."""
    copied: Any = json.loads(json.dumps(variables))
    *parents, last = path.split(".")
    node = copied
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    result: dict[str, Any] = copied
    return result


async def _post_json(
    api: httpx.AsyncClient, payload: object, path: str = "/graphql"
) -> httpx.Response:
    # ensure_ascii: a lone surrogate travels as the escape \ud800, as a hostile client sends it.
    return await api.post(
        path,
        content=json.dumps(payload, ensure_ascii=True).encode(),
        headers={"Content-Type": "application/json", "Authorization": ADMIN},
    )


def _assert_payload_errors_are_typed(response: httpx.Response) -> None:
    data = response.json().get("data") or {}
    for payload in data.values():
        if isinstance(payload, dict) and "errors" in payload:
            for error in payload["errors"]:
                assert error["code"] in ErrorCode.__members__, error


@settings(FUZZ, max_examples=60)
@given(case=st.sampled_from(STRING_ARGUMENTS), data=st.data())
async def test_hostile_text_in_every_string_argument_is_refused_cleanly(
    api: httpx.AsyncClient, case: tuple[str, dict[str, Any], list[str]], data: st.DataObject
) -> None:
    document, variables, strings = case
    for path in strings:
        variables = _set(variables, path, data.draw(HOSTILE_TEXT, label=path))
    response = await _post_json(api, {"query": document, "variables": variables})
    assert_answer_is_clean(response)
    _assert_payload_errors_are_typed(response)


@settings(FUZZ, max_examples=25)
@given(case=st.sampled_from(NUMBER_ARGUMENTS), number=HUGE_NUMBERS)
async def test_numbers_past_every_width_are_refused_cleanly(
    api: httpx.AsyncClient, case: tuple[str, dict[str, Any], list[str]], number: float
) -> None:
    document, variables, numbers = case
    for path in numbers:
        variables = _set(variables, path, number)
    response = await _post_json(api, {"query": document, "variables": variables})
    assert_answer_is_clean(response)
    _assert_payload_errors_are_typed(response)


@settings(FUZZ, max_examples=15)
@given(depth=st.integers(min_value=33, max_value=20_000), kind=st.sampled_from("[{"))
async def test_deeply_nested_bodies_are_a_400(
    api: httpx.AsyncClient, depth: int, kind: str
) -> None:
    nested = ("[" * depth + "]" * depth) if kind == "[" else ('{"a":' * depth + "1" + "}" * depth)
    for path, body in (
        ("/graphql", '{"query":"{ __typename }","variables":{"v":' + nested + "}}"),
        ("/webhooks/toss", '{"eventType":"PAYMENT_STATUS_CHANGED","data":' + nested + "}"),
    ):
        response = await api.post(
            path, content=body.encode(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (path, response.text)
        assert response.headers["content-type"].startswith("application/json")


WEBHOOK_TEXT = HOSTILE_TEXT | st.text(max_size=300) | st.sampled_from(["x" * 65, "x" * 201])
WEBHOOK_NUMBERS = st.sampled_from(["0", "99999999999", "-1", "1e9", "２", "\x00"])


@settings(FUZZ, max_examples=40)
@given(
    kind=st.sampled_from(["status", "deposit"]),
    order_id=WEBHOOK_TEXT,
    payment_key=WEBHOOK_TEXT,
    status=WEBHOOK_TEXT,
    secret=WEBHOOK_TEXT,
    transmission_id=WEBHOOK_TEXT,
    retried=WEBHOOK_NUMBERS,
)
async def test_forged_webhook_fields_are_never_a_server_error(
    api: httpx.AsyncClient,
    kind: str,
    order_id: str,
    payment_key: str,
    status: str,
    secret: str,
    transmission_id: str,
    retried: str,
) -> None:
    body: dict[str, Any] = (
        {
            "eventType": "PAYMENT_STATUS_CHANGED",
            "createdAt": "2026-11-22T09:00:00.000000",
            "data": {"orderId": order_id, "paymentKey": payment_key, "status": status},
        }
        if kind == "status"
        else {"orderId": order_id, "secret": secret, "status": status, "transactionKey": "t"}
    )
    headers = {
        b"Content-Type": b"application/json",
        # Header values are bytes on the wire, whatever text they were meant to be.
        b"tosspayments-webhook-transmission-id": transmission_id.encode("utf-8", "replace"),
        b"tosspayments-webhook-transmission-retried-count": retried.encode("utf-8", "replace"),
    }
    response = await api.post(
        "/webhooks/toss",
        content=json.dumps(body, ensure_ascii=True).encode(),
        headers=headers,
    )
    assert response.status_code in (200, 400, 429), response.text
