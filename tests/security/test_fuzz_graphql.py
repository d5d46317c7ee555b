"""Documents generated from the schema, valid and broken, sent to /graphql as anonymous, a buyer,
an admin and a bad token: whatever arrives, the answer is never a 500, never an exception masked
as "Internal server error", and never shows Python's insides (a traceback, a source path, an
exception class).

Examples are derandomized, so CI sends the same ones on every run; a failure prints the
document that caused it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from tests.conftest import token_for
from tests.security.clean_answers import assert_answer_is_clean
from tests.support.flows import CANCEL, CONFIRM, CREATE_ORDER, FAIL, ORDER
from toss_graphql.domain.models import Role
from toss_graphql.schema.schema import build_schema

SDL = build_schema().as_str()

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    # One API (and its database) serves every example of a test: state may pile up, as it would
    # in production.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALID_AUTHORIZATIONS = st.sampled_from(
    [f"Bearer {token_for('alice')}", f"Bearer {token_for('ops', Role.ADMIN)}"]
)
AUTHORIZATIONS = st.sampled_from([None, "Bearer not-a-jwt"]) | VALID_AUTHORIZATIONS


VALID_DOCUMENTS = from_schema(SDL)
INVALID_DOCUMENTS = from_schema(SDL, mode=Mode.NEGATIVE)
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)

# The flows' documents with their declared variables, for variables of the wrong type.
ORDERS = "query Orders($first: Int, $after: String, $status: OrderStatus) {\n" + (
    "  orders(first: $first, after: $after, status: $status) { edges { cursor } } }"
)
CANCELS = "query Cancels($buyer: String, $orderId: ID, $first: Int, $after: String) {\n" + (
    "  cancels(buyer: $buyer, orderId: $orderId, first: $first, after: $after) {"
    " edges { cursor } } }"
)
DOCUMENTS_WITH_VARIABLES = [ORDER, ORDERS, CANCELS, CREATE_ORDER, CONFIRM, FAIL, CANCEL]

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | st.sampled_from(["PAID", "ord_0000000000000000", "", "x" * 100_001]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["sku", "quantity", "lines", "amount", "x"]), children)
    ),
    max_leaves=12,
)


# Documents with one string argument, HUGE, that no field accepts at the length it is sent.
HUGE_STRING_DOCUMENTS = [
    "{ order(orderId: HUGE) { status } }",
    "{ cancels(buyer: HUGE) { edges { cursor } } }",
    "mutation { createOrder(input: {lines: [{sku: HUGE}]}) { errors { code field } } }",
    'mutation { failPayment(orderId: "ord_0000000000", code: "X", message: HUGE) {'
    " errors { code field } } }",
    'mutation { cancelPayment(buyer: "alice", orderName: "x", reason: HUGE) {'
    " errors { code field } } }",
]


@st.composite
def mangled_documents(draw: st.DrawFn) -> str:
    """A document broken one way: a valid one cut short or spliced with junk, selections or
    list values nested past any limit, many aliases, a fragment cycle, or a huge string."""
    kind = draw(
        st.sampled_from(
            ["truncated", "spliced", "nested", "nested-lists", "aliases", "cycle", "huge"]
        )
    )
    depth = draw(st.integers(min_value=10, max_value=3_000))
    if kind in ("truncated", "spliced"):
        document: str = draw(VALID_DOCUMENTS)
        start = draw(st.integers(min_value=0, max_value=len(document)))
        if kind == "truncated":
            return document[:start]
        end = draw(st.integers(min_value=start, max_value=len(document)))
        return document[:start] + draw(TEXT) + document[end:]
    if kind == "nested":
        return "{ " + 'order(orderId: "ord_x") { ' * depth + "status" + " }" * (depth + 1)
    if kind == "nested-lists":
        return "{ order(orderId: " + "[" * depth + '"ord_x"' + "]" * depth + ") { status } }"
    if kind == "aliases":
        count = draw(st.integers(min_value=1, max_value=400))
        aliases = (f'a{i}: order(orderId: "ord_{i:06}") {{ status }}' for i in range(count))
        return "{ " + " ".join(aliases) + " }"
    if kind == "cycle":
        return "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    size = draw(st.sampled_from([1_000, 70_000, 300_000]))
    return draw(st.sampled_from(HUGE_STRING_DOCUMENTS)).replace("HUGE", json.dumps("x" * size))


async def _send(
    api: httpx.AsyncClient, payload: object, authorization: str | None
) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return await api.post("/graphql", json=payload, headers=headers)


@settings(FUZZ, max_examples=50)
@given(document=VALID_DOCUMENTS, authorization=VALID_AUTHORIZATIONS)
async def test_valid_documents_never_break_the_service(
    sqlite_api: httpx.AsyncClient, document: str, authorization: str | None
) -> None:
    response = await _send(sqlite_api, {"query": document}, authorization)
    assert_answer_is_clean(response)


@settings(FUZZ, max_examples=30)
@given(document=INVALID_DOCUMENTS, authorization=AUTHORIZATIONS)
async def test_documents_that_break_the_schema_are_refused_cleanly(
    sqlite_api: httpx.AsyncClient, document: str, authorization: str | None
) -> None:
    response = await _send(sqlite_api, {"query": document}, authorization)
    assert_answer_is_clean(response)
    assert response.status_code >= 400 or response.json()["errors"], response.text


@settings(FUZZ, max_examples=40)
@given(document=mangled_documents(), authorization=AUTHORIZATIONS)
async def test_mangled_documents_are_refused_cleanly(
    sqlite_api: httpx.AsyncClient, document: str, authorization: str | None
) -> None:
    response = await _send(sqlite_api, {"query": document}, authorization)
    assert_answer_is_clean(response)


@settings(FUZZ, max_examples=20)
@given(
    document=st.sampled_from(DOCUMENTS_WITH_VARIABLES),
    variables=st.dictionaries(
        st.sampled_from(
            [
                "orderId",
                "input",
                "amount",
                "paymentKey",
                "buyer",
                "first",
                "after",
                "status",
                "code",
                "message",
                "orderName",
                "reason",
                "idempotencyKey",
            ]
        ),
        JSON_VALUES,
    ),
    authorization=AUTHORIZATIONS,
)
async def test_variables_of_any_type_are_refused_cleanly(
    sqlite_api: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any],
    authorization: str | None,
) -> None:
    response = await _send(sqlite_api, {"query": document, "variables": variables}, authorization)
    assert_answer_is_clean(response)


@settings(FUZZ, max_examples=10)
@given(
    body=st.binary(max_size=200)
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | st.fixed_dictionaries(
        {"query": JSON_VALUES}, optional={"variables": JSON_VALUES, "operationName": JSON_VALUES}
    ).map(lambda value: json.dumps(value).encode()),
    content_type=st.sampled_from(["application/json", "application/graphql", "text/plain"]),
)
async def test_malformed_bodies_are_refused_cleanly(
    sqlite_api: httpx.AsyncClient, body: bytes, content_type: str
) -> None:
    response = await sqlite_api.post(
        "/graphql", content=body, headers={"Content-Type": content_type}
    )
    assert_answer_is_clean(response)
