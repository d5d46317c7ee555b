"""Every switch off answers as the fast paths do: the same mutations give the same answers and
store the same rows, and on the same data every document in the table gets the same JSON,
refusals included (README.md, Configuration)."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import get_introspection_query

from tests.conftest import token_for
from tests.parity.conftest import Pair
from tests.parity.transcripts import Placeholders, comparable_rows, stored_rows
from tests.support.flows import CANCEL, CONFIRM, CREATE_ORDER, FAIL, checkout
from toss_graphql.domain.models import Role

ADMIN = token_for("ops", Role.ADMIN)

ORDER_FIELDS = """
fragment OrderFields on Order {
  orderId buyer orderName amount status attention checkout createdAt updatedAt __typename
  failure { code message }
  payment { paymentKey method totalAmount balanceAmount approvedAt receiptUrl
            virtualAccount { accountNumber bankCode customerName dueDate } }
  cancels { transactionKey orderId paymentKey buyer orderName cancelAmount cancelReason
            canceledAt }
}"""


async def _post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code < 500, response.text
    return response.status_code, response.json()


async def _mutations(api: httpx.AsyncClient, sandbox: httpx.AsyncClient, buyer: str) -> list[Any]:
    """One buyer's way through every mutation, refusals included; each answer, in order."""
    token = token_for(buyer)
    answers: list[Any] = []

    async def step(query: str, variables: dict[str, Any], as_token: str | None = token) -> Any:
        answer = await _post(api, query, variables, as_token)
        answers.append(answer)
        return answer[1]

    lines = [{"sku": "americano", "quantity": 2}, {"sku": "cheesecake"}]
    await step(CREATE_ORDER, {"input": {"lines": [{"sku": "nope"}]}})
    await step(CREATE_ORDER, {"input": {"orderName": "free", "amount": 100}})
    await step(CREATE_ORDER, {"input": {"lines": lines}}, None)
    paid = (await step(CREATE_ORDER, {"input": {"lines": lines}}))["data"]["createOrder"]["order"]
    redirect = await checkout(sandbox, paid)
    confirm = {
        "paymentKey": redirect["paymentKey"],
        "orderId": paid["orderId"],
        "amount": paid["amount"],
    }
    await step(CONFIRM, {**confirm, "amount": paid["amount"] - 1})
    await step(CONFIRM, confirm)
    await step(CONFIRM, confirm)  # a repeat: the stored payment
    failed = (await step(CREATE_ORDER, {"input": {"lines": [{"sku": "americano"}]}}))["data"][
        "createOrder"
    ]["order"]
    await step(FAIL, {"orderId": failed["orderId"], "code": "PAY_PROCESS_CANCELED", "message": "x"})
    await step(
        CREATE_ORDER,
        {"input": {"orderName": "정기 구독", "amount": 9900, "buyer": buyer}},
        ADMIN,
    )
    cancel = {
        "buyer": buyer,
        "orderName": paid["orderName"],
        "orderId": paid["orderId"],
        "reason": "단순 변심",
    }
    await step(CANCEL, {**cancel, "amount": 1000, "idempotencyKey": "parity-1"})
    await step(CANCEL, {**cancel, "amount": 1000, "idempotencyKey": "parity-1"})
    await step(CANCEL, {**cancel, "amount": 10**9})
    await step(CANCEL, {**cancel, "orderName": "없는 주문", "orderId": None})
    await step(CANCEL, cancel)
    await step(CANCEL, cancel, token_for("mallory"))
    return answers


async def test_the_same_steps_answer_store_and_read_the_same(
    pair: Pair, sandbox_client: httpx.AsyncClient, clean_database: str
) -> None:
    """Each app takes one buyer through the same mutations; then, on the data both wrote, each
    answers every document of the table."""
    fast_buyer, stock_buyer = "parity-fast", "parity-stock"
    fast_answers = await _mutations(pair.fast, sandbox_client, fast_buyer)
    stock_answers = await _mutations(pair.stock, sandbox_client, stock_buyer)

    fast_names, stock_names = Placeholders(fast_buyer), Placeholders(stock_buyer)
    fast_names.note(fast_answers)
    stock_names.note(stock_answers)
    assert stock_names.apply(stock_answers) == fast_names.apply(fast_answers)
    # The table covers refusals and successes both.
    assert any(body.get("errors") for _, body in fast_answers)
    assert any(body["data"] and not _payload_errors(body) for _, body in fast_answers)

    fast_rows = comparable_rows(await stored_rows(clean_database, fast_buyer), fast_names)
    stock_rows = comparable_rows(await stored_rows(clean_database, stock_buyer), stock_names)
    assert stock_rows == fast_rows
    assert fast_rows["orders"] and fast_rows["payment_events"] and fast_rows["cancels"]

    await _same_answers_to_the_table(pair)


def _payload_errors(body: dict[str, Any]) -> list[Any]:
    return [error for payload in body["data"].values() for error in payload.get("errors", [])]


ORDERS = (
    """
query Orders($first: Int, $after: String, $status: OrderStatus) {
  orders(first: $first, after: $after, status: $status) {
    edges { cursor node { ...OrderFields } }
    pageInfo { hasNextPage endCursor }
  }
}"""
    + ORDER_FIELDS
)
ORDER = "query One($orderId: ID!) { order(orderId: $orderId) { ...OrderFields } }" + ORDER_FIELDS
CANCELS = """
query Cancels($buyer: String, $first: Int, $after: String) {
  cancels(buyer: $buyer, first: $first, after: $after) {
    edges { cursor node { transactionKey orderId buyer cancelAmount cancelReason canceledAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ALIASED = """
query Aliased($skip: Boolean!) {
  mine: orders(first: 2) { edges { node { id: orderId again: orderId
    amount @skip(if: $skip) status @include(if: true) ... on Order { total: amount } } } }
  paid: orders(status: PAID) { edges { node { orderName payment { ... on Payment { method } } } } }
}"""
DEEP = "{ " + 'order(orderId: "x") { ' * 16 + "status" + " }" * 17
MANY_ALIASES = (
    "{ " + " ".join(f'a{n}: order(orderId: "o{n}") {{ status }}' for n in range(31)) + " }"
)
ALIASES_THROUGH_FRAGMENTS = (
    "{ ...A ...A } fragment A on Query { " + " ".join(f"t{n}: __typename" for n in range(16)) + " }"
)

# (name, document, variables, token, is a refusal by the depth or alias rule)
TABLE: list[tuple[str, str, dict[str, Any], str | None, bool]] = [
    ("orders, admin", ORDERS, {"first": 100}, ADMIN, False),
    ("orders, buyer", ORDERS, {"first": 100}, token_for("parity-fast"), False),
    ("orders, paid", ORDERS, {"status": "PAID"}, ADMIN, False),
    ("orders, page", ORDERS, {"first": 2}, ADMIN, False),
    ("orders, first too many", ORDERS, {"first": 101}, ADMIN, False),
    ("orders, bad cursor", ORDERS, {"after": "not-a-cursor"}, ADMIN, False),
    ("orders, bad status", ORDERS, {"status": "SHIPPED"}, ADMIN, False),
    ("orders, no token", ORDERS, {}, None, False),
    ("orders, bad token", ORDERS, {}, "not.a.token", False),
    ("order, unknown", ORDER, {"orderId": "ord_unknown"}, ADMIN, False),
    ("order, no variable", ORDER, {}, ADMIN, False),
    ("cancels, admin", CANCELS, {"first": 50}, ADMIN, False),
    ("cancels, buyer", CANCELS, {"buyer": "parity-stock"}, token_for("parity-stock"), False),
    ("cancels, another buyer's", CANCELS, {"buyer": "parity-fast"}, token_for("mallory"), False),
    ("aliases, skip and include", ALIASED, {"skip": True}, ADMIN, False),
    ("typename", "{ __typename }", {}, ADMIN, False),
    ("unknown field", "{ orders { edges { node { orderIdd } } } }", {}, ADMIN, False),
    ("unknown argument", "{ orders(last: 1) { edges { cursor } } }", {}, ADMIN, False),
    ("syntax", "{ orders { ", {}, ADMIN, False),
    ("too many tokens", "{ " + "__typename " * 5_001 + "}", {}, ADMIN, False),
    ("unknown fragment", "{ ...Nope }", {}, ADMIN, False),
    (
        "fragment cycle",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        {},
        ADMIN,
        False,
    ),
    ("deeper than the limit", DEEP, {}, ADMIN, True),
    ("too many aliases", MANY_ALIASES, {}, ADMIN, True),
    ("aliases through fragments", ALIASES_THROUGH_FRAGMENTS, {}, ADMIN, True),
]


def _refusal(answer: tuple[int, Any]) -> tuple[int, bool, bool]:
    """What a client of a refused document relies on: the status, errors, and no data.
    Strawberry's rules word the message their own way (schema/limits.py)."""
    status, body = answer
    return status, bool(body.get("errors")), body.get("data") is None


async def _same_answers_to_the_table(pair: Pair) -> None:
    first_page = (await _post(pair.fast, ORDERS, {"first": 2}, ADMIN))[1]
    after = first_page["data"]["orders"]["pageInfo"]["endCursor"]
    rows = [*TABLE, ("orders, next page", ORDERS, {"first": 2, "after": after}, ADMIN, False)]
    for name, document, variables, token, limit_refusal in rows:
        fast = await _post(pair.fast, document, variables, token)
        stock = await _post(pair.stock, document, variables, token)
        if limit_refusal:
            assert _refusal(fast)[1:] == (True, True), name
            if pair.switch in ("limit-rules", "all"):
                assert _refusal(stock) == _refusal(fast), name
                continue
        assert stock == fast, name


async def test_introspection_answers_the_same(pair: Pair) -> None:
    """GraphiQL's introspection query, fifteen levels deep counting `__` fields: admitted by
    both depth rules (Strawberry's does not count those fields)."""
    document = get_introspection_query(descriptions=True)
    fast = await _post(pair.fast, document, {}, ADMIN)
    stock = await _post(pair.stock, document, {}, ADMIN)
    assert stock == fast
    assert fast[1]["data"]["__schema"]["queryType"]["name"] == "Query"
