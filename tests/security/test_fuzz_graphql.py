"""Documents generated from the schema, valid and broken, sent to /graphql as anonymous, a buyer,
an admin and a bad token: whatever arrives, the answer is never a 500, never an exception masked
as "Internal server error", and never shows Python's insides (a traceback, a source path, an
exception class).

Examples are derandomized, so CI sends the same ones on every run; a failure prints the
document that caused it.

Documents whose cost could grow faster than their size (fragments that each spread the next
twice, selections and values nested as deep as the token limit lets them) go to `toss-graphql
serve` in a process of its own over loopback HTTP, each answered within a time budget: a
validation rule that walks every path of such a document would hold that process, not the test.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from tests.conftest import JWT_SECRET, token_for
from tests.security.clean_answers import assert_answer_is_clean
from tests.support.flows import CANCEL, CONFIRM, CREATE_ORDER, FAIL, ORDER
from tests.support.servers import ServerProcess, free_port, run_cli
from toss_graphql.config import SANDBOX_SECRET_KEY
from toss_graphql.domain.models import Role
from toss_graphql.schema.schema import MAX_TOKENS, build_schema

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


# Generous for a document of a few thousand tokens on a loaded machine; a rule whose work
# doubles with each level of fragments never answers within it.
ANSWER_BUDGET_SECONDS = 5
# Spent on a hang, so shrinking (which would send smaller documents to the same held process)
# is left out: the document reported is the one that was not answered.
BUDGETED = settings(FUZZ, phases=(Phase.explicit, Phase.generate))


@pytest.fixture
def served_sqlite_api(sandbox_server: ServerProcess, tmp_path: Path) -> Iterator[ServerProcess]:
    """`toss-graphql serve` on a SQLite file of its own, one process per test."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}",
        "TOSS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "TOSS_API_URL": sandbox_server.url,
        "AUTH_JWT_SECRET": JWT_SECRET,
        "TOSS_GRAPHQL_VAR_DIR": str(tmp_path),
        "RECONCILE_INTERVAL_SECONDS": "0",
        "RATE_LIMIT_REQUESTS_PER_ADDRESS": "100000",
        "RATE_LIMIT_ANONYMOUS_PER_ADDRESS": "100000",
    }
    command = ["serve", "--port", str(port), "--workers", "1"]
    with run_cli(command, env, f"{url}/readyz", url, tmp_path / "api.log") as server:
        yield server


@pytest.fixture
async def served_client(served_sqlite_api: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {token_for('alice')}"}
    async with httpx.AsyncClient(
        base_url=served_sqlite_api.url, headers=headers, timeout=ANSWER_BUDGET_SECONDS
    ) as client:
        yield client


async def _answered_in_budget(client: httpx.AsyncClient, document: str) -> httpx.Response:
    try:
        return await client.post("/graphql", json={"query": document})
    except httpx.TimeoutException:
        pytest.fail(
            f"no answer within {ANSWER_BUDGET_SECONDS} s to a document of {len(document)}"
            f" characters:\n{document[:400]}"
        )


@st.composite
def fragment_fan_outs(draw: st.DrawFn) -> str:
    """Fragments F0..Fn, each spreading the next twice: 2^n paths through n+1 definitions.
    On Query (no field between levels, so no depth to stop it), with an alias at each level
    or not, or inside an order's selection."""
    levels = draw(st.integers(min_value=1, max_value=64))
    on_order = draw(st.booleans())
    aliased = draw(st.booleans())
    on_type, leaf = ("Order", "status") if on_order else ("Query", "__typename")
    fragments = [
        f"fragment F{level} on {on_type} {{ {f'a{level}: ' if aliased else ''}{leaf}"
        f" ...F{level + 1} ...F{level + 1} }}"
        for level in range(levels)
    ]
    fragments.append(f"fragment F{levels} on {on_type} {{ {leaf} }}")
    operation = '{ order(orderId: "ord_x") { ...F0 } }' if on_order else "{ ...F0 }"
    return " ".join([operation, *fragments])


def _within_tokens(depth: int, tokens_per_level: int) -> int:
    return min(depth, (MAX_TOKENS - 20) // tokens_per_level)


@st.composite
def deep_documents(draw: st.DrawFn) -> str:
    """One thing nested as deep as the token limit allows: fields, inline fragments, list
    values, input objects, or a chain of fragments each spreading the next inside a field."""
    kind = draw(st.sampled_from(["fields", "inline", "lists", "objects", "fragment-chain"]))
    depth = draw(st.integers(min_value=16, max_value=2_000))
    if kind == "fields":
        depth = _within_tokens(depth, 7)
        return "{ " + 'order(orderId: "ord_x") { ' * depth + "status" + " }" * (depth + 1)
    if kind == "inline":
        depth = _within_tokens(depth, 4)
        return "{ " + "... on Query { " * depth + "__typename" + " }" * (depth + 1)
    if kind == "lists":
        depth = _within_tokens(depth, 2)
        return "{ order(orderId: " + "[" * depth + '"ord_x"' + "]" * depth + ") { status } }"
    if kind == "objects":
        depth = _within_tokens(depth, 4)
        value = "{sku: " * depth + '"americano"' + "}" * depth
        return f"mutation {{ createOrder(input: {{lines: [{value}]}}) {{ errors {{ code }} }} }}"
    depth = _within_tokens(depth, 12)
    fragments = [
        f'fragment F{level} on Query {{ order(orderId: "ord_x") {{ status }} ...F{level + 1} }}'
        for level in range(depth)
    ]
    fragments.append(f"fragment F{depth} on Query {{ __typename }}")
    return " ".join(["{ ...F0 }", *fragments])


@settings(BUDGETED, max_examples=25)
@given(document=fragment_fan_outs())
@example(
    document=" ".join(
        ["{ ...F0 }"]
        + [f"fragment F{i} on Query {{ __typename ...F{i + 1} ...F{i + 1} }}" for i in range(40)]
        + ["fragment F40 on Query { __typename }"]
    )
)
async def test_fragment_fan_outs_are_answered_within_the_budget(
    served_client: httpx.AsyncClient, document: str
) -> None:
    response = await _answered_in_budget(served_client, document)
    assert_answer_is_clean(response)


@settings(BUDGETED, max_examples=25)
@given(document=deep_documents())
async def test_deep_documents_are_answered_within_the_budget(
    served_client: httpx.AsyncClient, document: str
) -> None:
    response = await _answered_in_budget(served_client, document)
    assert_answer_is_clean(response)
