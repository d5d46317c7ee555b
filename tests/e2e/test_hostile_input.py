"""Text no person types (NUL, other control characters, lone surrogates) and JSON nested a
thousand levels deep, sent over real HTTP to `serve` on SQLite and PostgreSQL: each is a typed
refusal naming what was wrong, before anything reaches the database or Toss."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import token_for
from tests.support.flows import CANCEL, CONFIRM, CREATE_ORDER, FAIL
from tests.support.servers import ServerProcess
from toss_graphql.domain.models import Role

pytestmark = pytest.mark.e2e

NOT_TYPED = {"NUL": "a\x00b", "escape": "a\x1bb", "lone surrogate": "a\ud800b"}
CANCELS_OF = """
query Cancels($buyer: String) { cancels(buyer: $buyer) { edges { cursor } } }"""

# (document, the payload's field in `data`, variables, the argument holding the bad text)
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        CREATE_ORDER,
        "createOrder",
        {"input": {"orderName": "{}", "amount": 1000, "buyer": "alice"}},
        "orderName",
    ),
    (
        CREATE_ORDER,
        "createOrder",
        {"input": {"orderName": "coffee", "amount": 1000, "buyer": "{}"}},
        "buyer",
    ),
    (
        CONFIRM,
        "confirmPayment",
        {"paymentKey": "{}", "orderId": "order-1", "amount": 1000},
        "paymentKey",
    ),
    (
        FAIL,
        "failPayment",
        {"orderId": "order-1", "code": "USER_CANCEL", "message": "{}"},
        "message",
    ),
    (CANCEL, "cancelPayment", {"buyer": "{}", "orderName": "coffee", "reason": "why"}, "buyer"),
    (
        CANCEL,
        "cancelPayment",
        {"buyer": "alice", "orderName": "{}", "reason": "why"},
        "orderName",
    ),
    (
        CANCEL,
        "cancelPayment",
        {"buyer": "alice", "orderName": "coffee", "reason": "{}"},
        "reason",
    ),
]


def _with_text(value: Any, text: str) -> Any:
    """`value` with every "{}" placeholder replaced by `text`."""
    if isinstance(value, dict):
        return {key: _with_text(item, text) for key, item in value.items()}
    return text if value == "{}" else value


def _post(
    api: ServerProcess, body: bytes, token: str | None = None, path: str = "/graphql"
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    # json.dumps escapes a lone surrogate as \ud800, exactly as a hostile client sends it.
    return httpx.post(f"{api.url}{path}", content=body, headers=headers)


@pytest.mark.parametrize("text", NOT_TYPED.values(), ids=NOT_TYPED.keys())
@pytest.mark.parametrize(
    ("document", "operation", "variables", "argument"),
    CASES,
    ids=[f"{case[1]}.{case[3]}" for case in CASES],
)
def test_untypeable_text_is_invalid_input_naming_the_field(
    served_api: ServerProcess,
    document: str,
    operation: str,
    variables: dict[str, Any],
    argument: str,
    text: str,
) -> None:
    body = json.dumps({"query": document, "variables": _with_text(variables, text)})
    response = _post(served_api, body.encode(), token_for("ops", Role.ADMIN))
    assert response.status_code == 200, response.text
    errors = response.json()["data"][operation]["errors"]
    assert [(error["code"], error["field"]) for error in errors] == [("INVALID_INPUT", argument)]


@pytest.mark.parametrize("text", NOT_TYPED.values(), ids=NOT_TYPED.keys())
def test_untypeable_buyer_filter_is_invalid_input(served_api: ServerProcess, text: str) -> None:
    body = json.dumps({"query": CANCELS_OF, "variables": {"buyer": text}})
    response = _post(served_api, body.encode(), token_for("ops", Role.ADMIN))
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == "buyer"


def test_a_reason_may_span_lines(served_api: ServerProcess) -> None:
    variables = {"buyer": "alice", "orderName": "no such order", "reason": "first\r\nsecond\tend"}
    body = json.dumps({"query": CANCEL, "variables": variables})
    answer = _post(served_api, body.encode(), token_for("alice")).json()
    errors = answer["data"]["cancelPayment"]["errors"]
    assert [error["code"] for error in errors] == ["ORDER_NOT_FOUND"]


def test_forged_cursor_with_a_nul_key_is_refused(served_api: ServerProcess) -> None:
    import base64

    forged = base64.urlsafe_b64encode(
        json.dumps(["2026-01-01T00:00:00+00:00", "ord\x00x"]).encode()
    ).decode()
    body = json.dumps(
        {
            "query": "query($after: String) { orders(after: $after) { edges { cursor } } }",
            "variables": {"after": forged},
        }
    )
    (error,) = _post(served_api, body.encode(), token_for("alice")).json()["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "after"}


@pytest.mark.parametrize("path", ["/graphql", "/webhooks/toss"])
def test_deeply_nested_json_is_a_400_with_a_json_error(
    served_api: ServerProcess, path: str
) -> None:
    nested = "[" * 1000 + "]" * 1000
    body = (
        '{"query":"{ __typename }","variables":{"a":' + nested + "}}"
        if path == "/graphql"
        else '{"eventType":"PAYMENT_STATUS_CHANGED","data":' + nested + "}"
    )
    response = _post(served_api, body.encode(), path=path)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "deeper than" in response.text
    assert len(response.headers["x-request-id"]) == 16
    assert response.headers["x-content-type-options"] == "nosniff"
