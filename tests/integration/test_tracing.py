"""OpenTelemetry: a confirm is one trace, from the HTTP request down to its database
transactions, their statements and the call to Toss; the passes of the background work are
traces of their own; log lines name their trace. Spans kept by the SDK's in-memory exporter."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette

from tests.conftest import JWT_SECRET, token_for
from tests.support.flows import checkout, confirm, create_order, order_status
from tests.support.subscriptions import ws_session
from tests.support.waiting import eventually
from toss_graphql import telemetry
from toss_graphql.app import create_app
from toss_graphql.background import reconcile_pass
from toss_graphql.composition import reconcile_policy
from toss_graphql.config import SANDBOX_SECRET_KEY, Settings
from toss_graphql.gateway.idempotency import confirm_idempotency_key
from toss_graphql.logging_setup import KeyValueFormatter

pytestmark = pytest.mark.usefixtures("catalog")


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def api_app(settings: Settings, exporter: InMemorySpanExporter) -> AsyncIterator[Starlette]:
    """The API's app, traced to `exporter`; the `api` and `api_url` fixtures serve it."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(settings, tracer_provider=provider)
    async with app.router.lifespan_context(app):
        yield app
    assert not telemetry.enabled(), "the app stops tracing when it stops"


class FormattedAtEmit(logging.Handler):
    """Formats each record as the service's log handler does: when it is written, in the
    context of the code that wrote it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(KeyValueFormatter("%(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    handler = FormattedAtEmit()
    logger = logging.getLogger("toss_graphql")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _finished_names(exporter: InMemorySpanExporter) -> list[str]:
    return [span.name for span in exporter.get_finished_spans()]


def _by_id(spans: Sequence[ReadableSpan]) -> dict[int, ReadableSpan]:
    return {span.context.span_id: span for span in spans}


def _ancestors(span: ReadableSpan, spans: dict[int, ReadableSpan]) -> list[str]:
    names = []
    parent = span.parent
    while parent is not None:
        above = spans[parent.span_id]
        names.append(above.name)
        parent = above.parent
    return names


def _everything_said(spans: Sequence[ReadableSpan]) -> str:
    said: list[Any] = []
    for span in spans:
        said.append(span.name)
        said.extend((span.attributes or {}).values())
        for event in span.events:
            said.extend((event.attributes or {}).values())
    return " ".join(str(value) for value in said)


async def test_a_confirm_is_one_trace_with_its_transactions_statements_and_toss_call(
    api: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    exporter: InMemorySpanExporter,
    log_lines: list[str],
) -> None:
    alice = token_for("alice")
    order = await create_order(api, alice, {"lines": [{"sku": "cafe-latte"}]})
    redirect = await checkout(sandbox_client, order)
    exporter.clear()
    log_lines.clear()

    payload = await confirm(api, alice, redirect)

    assert payload["order"]["status"] == "PAID"
    spans = exporter.get_finished_spans()
    assert len({span.context.trace_id for span in spans}) == 1
    by_id = _by_id(spans)
    (root,) = [span for span in spans if span.parent is None]
    assert (root.name, root.kind) == ("POST /graphql", SpanKind.SERVER)
    (operation,) = [span for span in spans if span.name.startswith("mutation")]
    assert operation.name == "mutation Confirm"
    assert operation.attributes == {
        "graphql.operation.type": "mutation",
        "graphql.operation.name": "Confirm",
    }

    transactions = [span for span in spans if span.name == "db.transaction"]
    # The order claimed CONFIRMING before Toss is called, then the payment recorded.
    assert len(transactions) >= 2
    assert all(operation.name in _ancestors(span, by_id) for span in transactions)
    assert {(span.attributes or {}).get("db.transaction.outcome") for span in transactions} == {
        "commit"
    }
    statements = [
        span
        for span in spans
        if span.parent is not None and by_id[span.parent.span_id].name == "db.transaction"
    ]
    assert statements, "SQLAlchemy's statements are spans under their transaction"
    assert any("UPDATE orders" in str(span.attributes) for span in statements)

    (toss,) = [span for span in spans if span.name.startswith("toss ")]
    assert toss.name == "toss POST /v1/payments/confirm"
    assert toss.kind == SpanKind.CLIENT
    assert operation.name in _ancestors(toss, by_id)
    key = confirm_idempotency_key(order["orderId"], redirect["paymentKey"], order["amount"])
    assert dict(toss.attributes or {}) == {
        "http.request.method": "POST",
        "url.template": "/v1/payments/confirm",
        "server.address": "127.0.0.1",
        "toss.attempt": 1,
        "toss.idempotency_key.sha256": telemetry.key_digest(key),
        "http.response.status_code": 200,
    }

    said = _everything_said(spans)
    for secret in (SANDBOX_SECRET_KEY, JWT_SECRET, alice, key, redirect["paymentKey"]):
        assert secret not in said

    trace_id = trace.format_trace_id(root.context.trace_id)
    toss_lines = [line for line in log_lines if line.startswith("toss_graphql.gateway")]
    assert toss_lines
    assert all(f"trace_id={trace_id}" in line for line in toss_lines)
    assert all("request_id=" in line for line in toss_lines)


async def test_a_refused_confirm_is_traced_without_a_toss_call(
    api: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    exporter: InMemorySpanExporter,
) -> None:
    alice = token_for("alice")
    order = await create_order(api, alice, {"lines": [{"sku": "cafe-latte"}]})
    redirect = await checkout(sandbox_client, order)
    exporter.clear()

    payload = await confirm(api, alice, redirect, amount=1)

    assert [error["code"] for error in payload["errors"]] == ["AMOUNT_MISMATCH"]
    names = [span.name for span in exporter.get_finished_spans()]
    assert "mutation Confirm" in names
    assert not [name for name in names if name.startswith("toss ")]


async def test_a_reconcile_pass_is_a_trace_of_its_own(
    api_app: Starlette, settings: Settings, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    with telemetry.span("unrelated work"):
        pass

    report = await reconcile_pass(api_app.state.services, reconcile_policy(settings))

    assert report.examined == 0
    spans = exporter.get_finished_spans()
    (pass_span,) = [span for span in spans if span.name == "reconcile pass"]
    assert pass_span.parent is None
    assert (pass_span.attributes or {})["toss_graphql.reconcile.examined"] == 0
    inside = [span for span in spans if span.context.trace_id == pass_span.context.trace_id]
    assert "db.transaction" in [span.name for span in inside]


async def test_a_subscription_is_one_operation_span_that_ends_when_it_is_completed(
    api: httpx.AsyncClient,
    api_url: str,
    sandbox_client: httpx.AsyncClient,
    exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = token_for("alice")
    order = await create_order(api, alice, {"lines": [{"sku": "cafe-latte"}]})
    async with ws_session(api_url, alice) as session:
        await session.follow("live", order["orderId"])
        await session.orders("live", until=lambda shown: shown["status"] == "PENDING")
        await confirm(api, alice, await checkout(sandbox_client, order))
        await session.orders("live", until=lambda shown: shown["status"] == "PAID")
        await session.complete("live")
        # The span ends as the server closes the operation, its context already detached.
        await eventually(
            lambda: "subscription Follow" in _finished_names(exporter), "the operation's end"
        )
    names = [span.name for span in exporter.get_finished_spans()]
    assert "subscription Follow" in names
    assert "mutation Confirm" in names
    # Contexts entered and left in the subscription's own task: nothing failed to detach.
    assert not [record for record in caplog.records if record.name.startswith("opentelemetry")]


async def test_a_read_is_traced_though_it_bypasses_sqlalchemy(
    api: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    alice = token_for("alice")
    order = await create_order(api, alice, {"lines": [{"sku": "cafe-latte"}]})
    exporter.clear()

    shown = await order_status(api, alice, order["orderId"])

    assert shown["status"] == "PENDING"
    spans = exporter.get_finished_spans()
    by_id = _by_id(spans)
    (read,) = [span for span in spans if span.name == "db.read order"]
    assert read.kind == SpanKind.CLIENT
    assert _ancestors(read, by_id) == ["query Order", "POST /graphql"]


async def test_a_transaction_that_is_rolled_back_says_so(
    api_app: Starlette, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    with pytest.raises(LookupError):
        async with api_app.state.services.unit_of_work():
            raise LookupError("a refusal inside the transaction")
    async with api_app.state.services.unit_of_work():
        pass

    outcomes = [
        (span.attributes or {}).get("db.transaction.outcome")
        for span in exporter.get_finished_spans()
        if span.name == "db.transaction"
    ]
    assert outcomes == ["rollback", "commit"]
    (rolled_back,) = [s for s in exporter.get_finished_spans() if s.events]
    assert rolled_back.events[0].name == "exception"


async def test_a_server_span_carries_no_query_string(
    api: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    """A GET's variables and the success page's paymentKey stay out of traces; the request
    itself still reads them."""
    alice = token_for("alice")
    order = await create_order(api, alice, {"lines": [{"sku": "cafe-latte"}]})
    exporter.clear()

    answered = await api.get(
        "/graphql",
        params={
            "query": "query Order($orderId: ID!) { order(orderId: $orderId) { status } }",
            "variables": f'{{"orderId": "{order["orderId"]}"}}',
        },
        headers={"Authorization": f"Bearer {alice}"},
    )
    page = await api.get("/demo/success.html", params={"paymentKey": "tgen_secretive_key_1"})

    assert answered.json()["data"]["order"]["status"] == "PENDING"
    assert page.status_code == 200
    servers = [span for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert {span.name for span in servers} == {"GET /graphql", "GET /demo/success.html"}
    said = _everything_said(servers)
    assert "/graphql" in said
    for leaked in ("?", order["orderId"], "tgen_secretive_key_1", "variables"):
        assert leaked not in said
