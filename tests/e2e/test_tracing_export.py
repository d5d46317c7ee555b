"""Tracing configured by the standard OTEL_* environment of a real `serve`: its spans reach
an OTLP collector over HTTP, and its JSON log lines name the same traces."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import JWT_SECRET, token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import checkout, confirm, create_order
from tests.support.otlp_collector import Collector, ReceivedSpan, otlp_collector
from tests.support.servers import ServerProcess
from toss_graphql.config import SANDBOX_SECRET_KEY

pytestmark = pytest.mark.e2e

CONFIRM_CALL = "toss POST /v1/payments/confirm"


async def _span_named(collector: Collector, name: str) -> ReceivedSpan:
    for _ in range(200):
        found = [span for span in collector.received() if span.name == name]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no span {name!r} reached the collector")


async def test_serve_sends_a_confirms_trace_to_the_collector_and_logs_its_id(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    with (
        otlp_collector() as collector,
        serve_api(
            tmp_path,
            clean_database,
            sandbox_server.url,
            "traced",
            settings={
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                "OTEL_BSP_SCHEDULE_DELAY": "50",
                "LOG_FORMAT": "json",
            },
        ) as server,
    ):
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as api,
            httpx.AsyncClient(base_url=sandbox_server.url) as sandbox,
        ):
            order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
            payload = await confirm(api, alice, await checkout(sandbox, order))
            assert payload["order"]["status"] == "PAID"
        toss_call = await _span_named(collector, CONFIRM_CALL)
        log = server.log()

    trace = [span for span in collector.received() if span.trace_id == toss_call.trace_id]
    names = {span.name for span in trace}
    assert {"POST /graphql", "mutation Confirm", "db.transaction", CONFIRM_CALL} <= names
    assert {span.service_name for span in trace} == {"toss-graphql"}
    assert toss_call.attributes["http.response.status_code"] == 200

    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    banner = [e["message"] for e in entries if e["message"].startswith("Tracing:")]
    assert banner == ["Tracing:            OpenTelemetry, spans sent to otlp"]
    toss_lines = [entry for entry in entries if entry["logger"] == "toss_graphql.gateway"]
    assert [entry["trace_id"] for entry in toss_lines] == [toss_call.trace_id]
    assert toss_lines[0]["span_id"] == toss_call.span_id

    sent = b"".join(collector.bodies)
    for secret in (SANDBOX_SECRET_KEY, JWT_SECRET, alice):
        assert secret.encode() not in sent
