"""Who may do what: every query and mutation, called as anonymous, the owning buyer, another
buyer and an admin, against alice's order in the state the operation needs.

`MATRIX` is the decision, one row per operation of the schema; `test_every_operation_has_a_row`
fails when an operation is added without deciding its row. Each cell is one test on a clean
database (both kinds), through the ASGI transport, with the sandbox as Toss.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import graphql
import httpx
import pytest

from tests.conftest import token_for
from tests.support.flows import (
    CANCEL,
    CONFIRM,
    CREATE_ORDER,
    FAIL,
    ORDER,
    cancel,
    checkout,
    create_order,
    paid_order,
)
from tests.support.subscriptions import ORDER_UPDATED, first_multipart_result
from toss_graphql.domain.models import Role
from toss_graphql.schema.schema import build_schema

OWNER = "alice"
# An order only an admin or service token may create: its name and amount are the caller's word.
SUBSCRIPTION = {"orderName": "정기 구독", "amount": 10000, "buyer": OWNER}

ORDERS = """
query Orders {
  orders(first: 100) {
    edges {
      node {
        orderId buyer orderName amount status updatedAt failure { code }
        payment { paymentKey balanceAmount }
      }
    }
  }
}"""

CANCELS = """
query Cancels($buyer: String) {
  cancels(buyer: $buyer, first: 100) {
    edges { node { transactionKey orderId buyer cancelAmount } }
  }
}"""


class Caller(StrEnum):
    ANONYMOUS = "anonymous"
    OWNER = "owner"
    OTHER_BUYER = "other-buyer"
    ADMIN = "admin"


def token_of(caller: Caller) -> str | None:
    return {
        Caller.ANONYMOUS: None,
        Caller.OWNER: token_for(OWNER),
        Caller.OTHER_BUYER: token_for("mallory"),
        Caller.ADMIN: token_for("ops", Role.ADMIN),
    }[caller]


class Outcome(StrEnum):
    OK = "ok"  # the call did its work on alice's order (or showed it, or her cancel)
    NULL = "null"  # the field reads null, as for a missing order
    EMPTY = "empty"  # the connection has no edges
    GRAPHQL_ERROR = "graphql-error"  # a GraphQL error with `extensions.code`, no data
    PAYLOAD_ERROR = "payload-error"  # the payload's `errors`, and nothing else in it


@dataclass(frozen=True)
class Expected:
    outcome: Outcome
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.outcome}:{self.code}" if self.code else str(self.outcome)


OK = Expected(Outcome.OK)
NULL = Expected(Outcome.NULL)
EMPTY = Expected(Outcome.EMPTY)
UNAUTHENTICATED = Expected(Outcome.GRAPHQL_ERROR, "UNAUTHENTICATED")
FORBIDDEN_ERROR = Expected(Outcome.GRAPHQL_ERROR, "FORBIDDEN")
FORBIDDEN = Expected(Outcome.PAYLOAD_ERROR, "FORBIDDEN")
ORDER_NOT_FOUND = Expected(Outcome.PAYLOAD_ERROR, "ORDER_NOT_FOUND")
ORDER_NOT_FOUND_ERROR = Expected(Outcome.GRAPHQL_ERROR, "ORDER_NOT_FOUND")


def row(
    *, anonymous: Expected, owner: Expected, other_buyer: Expected, admin: Expected
) -> dict[Caller, Expected]:
    return {
        Caller.ANONYMOUS: anonymous,
        Caller.OWNER: owner,
        Caller.OTHER_BUYER: other_buyer,
        Caller.ADMIN: admin,
    }


MATRIX: dict[str, dict[Caller, Expected]] = {
    # order(orderId: <alice's>): another buyer's order reads as a missing one.
    "Query.order": row(anonymous=UNAUTHENTICATED, owner=OK, other_buyer=NULL, admin=OK),
    # orders: a buyer sees only her own (mallory has none), an admin everyone's.
    "Query.orders": row(anonymous=UNAUTHENTICATED, owner=OK, other_buyer=EMPTY, admin=OK),
    # cancels(buyer: "alice"): naming someone else is refused for a buyer.
    "Query.cancels": row(
        anonymous=UNAUTHENTICATED, owner=OK, other_buyer=FORBIDDEN_ERROR, admin=OK
    ),
    # createOrder(orderName, amount, buyer: "alice"): only admin and service tokens set a price,
    # even a buyer ordering for herself.
    "Mutation.createOrder": row(
        anonymous=UNAUTHENTICATED, owner=FORBIDDEN, other_buyer=FORBIDDEN, admin=OK
    ),
    # confirmPayment of alice's checkout.
    "Mutation.confirmPayment": row(
        anonymous=UNAUTHENTICATED, owner=OK, other_buyer=ORDER_NOT_FOUND, admin=OK
    ),
    # failPayment of alice's pending order.
    "Mutation.failPayment": row(
        anonymous=UNAUTHENTICATED, owner=OK, other_buyer=ORDER_NOT_FOUND, admin=OK
    ),
    # cancelPayment(buyer: "alice", orderName) of her paid order.
    "Mutation.cancelPayment": row(
        anonymous=UNAUTHENTICATED, owner=OK, other_buyer=FORBIDDEN, admin=OK
    ),
    # orderUpdated(orderId: <alice's>): its first message; another buyer's order ends the
    # subscription as a missing one does.
    "Subscription.orderUpdated": row(
        anonymous=UNAUTHENTICATED, owner=OK, other_buyer=ORDER_NOT_FOUND_ERROR, admin=OK
    ),
}


@dataclass(frozen=True)
class Call:
    """One row's request, and what an OK answer must show: an orderId, a transactionKey, or the
    buyer of the new order."""

    document: str
    variables: dict[str, Any]
    subject: str


@dataclass(frozen=True)
class Stage:
    api: httpx.AsyncClient
    sandbox: httpx.AsyncClient

    async def pending_order(self) -> dict[str, Any]:
        return await create_order(self.api, _admin(), SUBSCRIPTION)

    async def paid_order(self) -> dict[str, Any]:
        return await paid_order(self.api, self.sandbox, _admin(), SUBSCRIPTION)


def _admin() -> str:
    token = token_of(Caller.ADMIN)
    assert token is not None
    return token


async def _order_updated_call(stage: Stage) -> Call:
    order = await stage.pending_order()
    return Call(ORDER_UPDATED, {"orderId": order["orderId"]}, order["orderId"])


async def _order_call(stage: Stage) -> Call:
    order = await stage.pending_order()
    return Call(ORDER, {"orderId": order["orderId"]}, order["orderId"])


async def _orders_call(stage: Stage) -> Call:
    order = await stage.pending_order()
    return Call(ORDERS, {}, order["orderId"])


async def _cancels_call(stage: Stage) -> Call:
    order = await stage.paid_order()
    made = await cancel(
        stage.api,
        _admin(),
        {"buyer": OWNER, "orderName": order["orderName"], "reason": "부분 환불", "amount": 1000},
    )
    assert made["errors"] == [], made
    return Call(CANCELS, {"buyer": OWNER}, made["cancel"]["transactionKey"])


async def _create_order_call(_: Stage) -> Call:
    return Call(CREATE_ORDER, {"input": SUBSCRIPTION}, OWNER)


async def _confirm_call(stage: Stage) -> Call:
    redirect = await checkout(stage.sandbox, await stage.pending_order())
    variables = {
        "paymentKey": redirect["paymentKey"],
        "orderId": redirect["orderId"],
        "amount": int(redirect["amount"]),
    }
    return Call(CONFIRM, variables, redirect["orderId"])


async def _fail_call(stage: Stage) -> Call:
    order = await stage.pending_order()
    variables = {"orderId": order["orderId"], "code": "PAY_PROCESS_CANCELED", "message": "취소"}
    return Call(FAIL, variables, order["orderId"])


async def _cancel_call(stage: Stage) -> Call:
    order = await stage.paid_order()
    variables = {"buyer": OWNER, "orderName": order["orderName"], "reason": "고객 변심"}
    return Call(CANCEL, variables, order["orderId"])


def _order_is(status: str) -> Callable[[dict[str, Any], str], bool]:
    def did(payload: dict[str, Any], order_id: str) -> bool:
        order = payload["order"] or {}
        return payload["errors"] == [] and (order.get("orderId"), order.get("status")) == (
            order_id,
            status,
        )

    return did


def _lists(key: str) -> Callable[[dict[str, Any], str], bool]:
    def did(connection: dict[str, Any], subject: str) -> bool:
        return subject in [edge["node"][key] for edge in connection["edges"]]

    return did


@dataclass(frozen=True)
class Operation:
    field: str
    stage: Callable[[Stage], Awaitable[Call]]
    did_its_work: Callable[[Any, str], bool]


OPERATIONS: dict[str, Operation] = {
    "Query.order": Operation(
        "order", _order_call, lambda order, order_id: (order or {}).get("orderId") == order_id
    ),
    "Query.orders": Operation("orders", _orders_call, _lists("orderId")),
    "Query.cancels": Operation("cancels", _cancels_call, _lists("transactionKey")),
    "Mutation.createOrder": Operation(
        "createOrder",
        _create_order_call,
        lambda payload, buyer: payload["errors"] == [] and payload["order"]["buyer"] == buyer,
    ),
    "Mutation.confirmPayment": Operation("confirmPayment", _confirm_call, _order_is("PAID")),
    "Mutation.failPayment": Operation("failPayment", _fail_call, _order_is("FAILED")),
    "Mutation.cancelPayment": Operation("cancelPayment", _cancel_call, _order_is("CANCELED")),
    "Subscription.orderUpdated": Operation(
        "orderUpdated",
        _order_updated_call,
        lambda order, order_id: (order or {}).get("orderId") == order_id,
    ),
}

CELLS = [
    (operation, caller)
    for operation, row in MATRIX.items()
    for caller in row
    if not operation.startswith("Subscription.")
]
# Subscriptions stream: over HTTP multipart, from the same app served on a loopback port.
STREAMED_CELLS = [
    (operation, caller)
    for operation, row in MATRIX.items()
    for caller in row
    if operation.startswith("Subscription.")
]


async def _post(
    api: httpx.AsyncClient, document: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _ledger(stage: Stage) -> tuple[Any, Any, int]:
    """What a refused call must leave alone: every order and cancel as an admin reads them, and
    how many money calls (POSTs) Toss has received."""
    orders = await _post(stage.api, ORDERS, {}, _admin())
    cancels = await _post(stage.api, CANCELS, {}, _admin())
    sent = await stage.sandbox.get("/admin/requests", params={"method": "POST"})
    sent.raise_for_status()
    return orders["data"], cancels["data"], len(sent.json()["requests"])


def _assert_answer(
    body: dict[str, Any], operation: Operation, expected: Expected, subject: str
) -> None:
    field = operation.field
    if expected.outcome is Outcome.GRAPHQL_ERROR:
        assert [error["extensions"]["code"] for error in body["errors"]] == [expected.code]
        # Nothing of the refused field leaks: a non-null field nulls the whole `data`.
        assert (body.get("data") or {}).get(field) is None
        return
    assert "errors" not in body, body
    value = body["data"][field]
    if expected.outcome is Outcome.NULL:
        assert value is None
    elif expected.outcome is Outcome.EMPTY:
        assert value["edges"] == []
    elif expected.outcome is Outcome.PAYLOAD_ERROR:
        assert [error["code"] for error in value["errors"]] == [expected.code]
        # The refusal shows no order, payment or cancel.
        assert all(shown is None for key, shown in value.items() if key != "errors"), value
    else:
        assert operation.did_its_work(value, subject), value


@pytest.mark.parametrize(
    ("operation", "caller"), CELLS, ids=[f"{operation}-{caller}" for operation, caller in CELLS]
)
async def test_caller_gets_the_outcome_the_matrix_decides(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, operation: str, caller: Caller
) -> None:
    expected = MATRIX[operation][caller]
    spec = OPERATIONS[operation]
    stage = Stage(api, sandbox_client)
    call = await spec.stage(stage)
    before = await _ledger(stage)

    body = await _post(api, call.document, call.variables, token_of(caller))

    _assert_answer(body, spec, expected, call.subject)
    if expected.outcome is not Outcome.OK:
        assert await _ledger(stage) == before


@pytest.mark.parametrize(
    ("operation", "caller"),
    STREAMED_CELLS,
    ids=[f"{operation}-{caller}" for operation, caller in STREAMED_CELLS],
)
async def test_subscriber_gets_the_outcome_the_matrix_decides(
    api: httpx.AsyncClient,
    api_url: str,
    sandbox_client: httpx.AsyncClient,
    operation: str,
    caller: Caller,
) -> None:
    expected = MATRIX[operation][caller]
    spec = OPERATIONS[operation]
    call = await spec.stage(Stage(api, sandbox_client))

    async with httpx.AsyncClient(base_url=api_url, timeout=10) as http:
        body = await first_multipart_result(http, call.document, call.variables, token_of(caller))

    _assert_answer(body, spec, expected, call.subject)


def test_every_operation_has_a_row() -> None:
    schema = graphql.build_schema(build_schema().as_str())
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    operations = {f"{root.name}.{name}" for root in roots if root for name in root.fields}
    assert set(MATRIX) == operations
    assert set(OPERATIONS) == operations
    for operation, row in MATRIX.items():
        assert set(row) == set(Caller), operation


MISSING_ORDER_ID = "ord_0000000000000000"


@pytest.mark.parametrize(
    ("operation", "missing"),
    [
        ("Query.order", {"orderId": MISSING_ORDER_ID}),
        ("Mutation.confirmPayment", {"orderId": MISSING_ORDER_ID}),
        ("Mutation.failPayment", {"orderId": MISSING_ORDER_ID}),
        ("Mutation.cancelPayment", {"orderName": "없는 주문"}),
    ],
    ids=["order", "confirmPayment", "failPayment", "cancelPayment"],
)
async def test_another_buyers_order_reads_exactly_like_a_missing_one(
    api: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    operation: str,
    missing: dict[str, str],
) -> None:
    call = await OPERATIONS[operation].stage(Stage(api, sandbox_client))
    mallory = token_of(Caller.OTHER_BUYER)

    theirs = json.dumps(await _post(api, call.document, call.variables, mallory))
    absent = json.dumps(await _post(api, call.document, {**call.variables, **missing}, mallory))

    for name, value in missing.items():
        theirs = theirs.replace(json.dumps(call.variables[name])[1:-1], value)
    assert theirs == absent
