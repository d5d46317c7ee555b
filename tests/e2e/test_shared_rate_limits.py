"""RATE_LIMIT_STORAGE_URL=redis://…: two `serve` processes share one budget; when Redis is
gone, requests are let through at once and the outage is logged."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import CREATE_ORDER, graphql
from tests.support.redis_server import redis_server
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.e2e

PER_BUYER = 4
# More requests at once than the store's connection pool holds (web/shared_rate_limits.py).
BURST = 200
BURST_BUDGET = 5


async def create(api: httpx.AsyncClient, token: str) -> list[str]:
    body = await graphql(api, CREATE_ORDER, {"input": {"lines": [{"sku": "americano"}]}}, token)
    return [error["code"] for error in body["data"]["createOrder"]["errors"]]


async def test_two_instances_share_one_budget_and_let_requests_through_without_redis(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    with redis_server(tmp_path) as (url, redis):
        settings = {"RATE_LIMIT_STORAGE_URL": url, "RATE_LIMIT_PER_BUYER": str(PER_BUYER)}
        with (
            serve_api(tmp_path, clean_database, sandbox_server.url, "a", settings=settings) as a,
            serve_api(tmp_path, clean_database, sandbox_server.url, "b", settings=settings) as b,
        ):
            async with (
                httpx.AsyncClient(base_url=a.url, timeout=30) as api_a,
                httpx.AsyncClient(base_url=b.url, timeout=30) as api_b,
            ):
                answers = [await create((api_a, api_b)[n % 2], alice) for n in range(PER_BUYER)]
                over_on_a, over_on_b = await create(api_a, alice), await create(api_b, alice)
                assert await create(api_a, token_for("bob")) == []  # bob's budget is his own

                redis.terminate()
                redis.wait(timeout=10)
                started = time.monotonic()
                without_redis = [await create(api_b, alice) for _ in range(3)]
                elapsed = time.monotonic() - started
            log_b = b.log()

    assert answers == [[]] * PER_BUYER
    assert over_on_a == over_on_b == ["RATE_LIMITED"]
    assert without_redis == [[]] * 3, "the store is down: requests are let through"
    assert elapsed < 5, "no request waits long on a store that is gone"
    assert log_b.count("rate limit store unavailable") == 1
    assert "Traceback" not in log_b


async def test_a_burst_larger_than_the_connection_pool_gets_exactly_the_budget(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    """Redis answers throughout: however many requests arrive at once, the limit holds."""
    await seed_catalog(clean_database)
    alice = token_for("alice")
    with redis_server(tmp_path) as (url, _):
        settings = {"RATE_LIMIT_STORAGE_URL": url, "RATE_LIMIT_PER_BUYER": str(BURST_BUDGET)}
        with serve_api(tmp_path, clean_database, sandbox_server.url, settings=settings) as api:
            limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST)
            async with httpx.AsyncClient(base_url=api.url, timeout=60, limits=limits) as client:
                answers = await asyncio.gather(*(create(client, alice) for _ in range(BURST)))
            log = api.log()

    assert answers.count([]) == BURST_BUDGET
    assert answers.count(["RATE_LIMITED"]) == BURST - BURST_BUDGET
    assert "rate limit store unavailable" not in log
