"""`/metrics` of `serve --workers 2`: what the alert rules of docs/operations.md read. Toss's
answers are counted by the worker that saw them and reported by whichever worker a scrape
reaches; open outcomes and the reconciler's last pass are there too."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import checkout, confirm, create_order
from tests.support.outages import CONFIRM_PATH, lose_replies
from tests.support.servers import ServerProcess
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

ALERT_RULES = Path(__file__).parents[2] / "docs" / "prometheus-alerts.yml"
LAST_PASS = "toss_graphql_reconcile_last_pass_timestamp_seconds"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", re.MULTILINE)


async def scrape(url: str) -> dict[str, float]:
    """One scrape on a connection of its own, so that scrapes spread over the workers."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.get("/metrics")
    response.raise_for_status()
    return {
        name + (labels or ""): float(value) for name, labels, value in SAMPLE.findall(response.text)
    }


async def test_every_worker_reports_the_fleet_figures_the_alerts_read(
    clean_database: str,
    sandbox_server: ServerProcess,
    reset_sandbox: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    settings = {"TOSS_TIMEOUT_SECONDS": "1", "RECONCILE_INTERVAL_SECONDS": "1"}
    with serve_api(
        tmp_path, clean_database, sandbox_server.url, "metrics", workers=2, settings=settings
    ) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            paid = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
            assert (await confirm(api, alice, await checkout(reset_sandbox, paid)))["errors"] == []
            lost = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
            redirect = await checkout(reset_sandbox, lost)
            await lose_replies(reset_sandbox, CONFIRM_PATH)
            pending = await confirm(api, alice, redirect)
            assert pending["order"]["status"] == "CONFIRMING"
            left_open = time.time()

        async def passed_since_left_open() -> bool:
            figures = await scrape(server.url)
            return figures.get(LAST_PASS, 0) >= left_open

        await eventually(passed_since_left_open, "a reconciler pass ended after the lost confirm")
        scrapes = [await scrape(server.url) for _ in range(6)]

    confirm_calls = 'toss_graphql_toss_requests_total{method="POST",outcome="%s",path="%s"}'
    for figures in scrapes:
        assert figures[confirm_calls % ("2xx", CONFIRM_PATH)] == 1
        assert figures[confirm_calls % ("no_answer", CONFIRM_PATH)] == 3
        # Reconciliation leaves an order alone for RECONCILE_MIN_AGE_SECONDS (60): still open.
        assert figures["toss_graphql_unknown_outcome_oldest_age_seconds"] >= 1
        assert figures["toss_graphql_webhooks_oldest_unprocessed_age_seconds"] == 0
        last_pass = figures[LAST_PASS]
        assert time.time() - 10 < last_pass <= time.time()

    # Every series the alert rules read is one /metrics serves.
    rules = yaml.safe_load(ALERT_RULES.read_text(encoding="utf-8"))
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    named = set(re.findall(r"toss_graphql_[a-z_]+", " ".join(expressions)))
    served = {re.sub(r"\{.*", "", series) for series in scrapes[0]}
    assert named, "the rules read the service's own series"
    assert named <= served, named - served
