"""Fixtures of the end-to-end tests: `toss-graphql serve` as a real process, a client of it,
and the session's sandbox, reset after each test.

A module's tests share one `serve` process per database (`served_api`), started with the
settings in the module's `SERVE_SETTINGS` (a mapping of environment variables, none if
absent); starting one costs seconds. Each test still begins as if alone: `served_client`
empties the database and seeds the catalog, `reset_sandbox` clears the sandbox's faults, clock,
pending webhooks and webhook target afterwards, and `served_api.log()` shows what the process
wrote during that test only. A test that needs other settings, or kills or restarts a
process, runs its own with `serve_api`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import JWT_SECRET
from tests.support.database import seed_catalog
from tests.support.servers import ServerProcess, free_port, run_cli
from toss_graphql.config import SANDBOX_SECRET_KEY
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.tables import WebhookInboxRow
from toss_graphql.domain.models import InboxStatus

# How long a test's leftovers (webhooks on their way, webhooks being processed) may take to
# finish before the next test of the module begins.
SETTLE_SECONDS = 20


@contextmanager
def serve_api(
    directory: Path,
    database_url: str,
    toss_api_url: str,
    name: str = "api",
    *,
    workers: int = 1,
    port: int | None = None,
    settings: Mapping[str, str] | None = None,
) -> Iterator[ServerProcess]:
    """`toss-graphql serve` as its own process, against a Toss at `toss_api_url`.

    The background reconciler is off unless `settings` turns it on, so tests decide when
    settling happens.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": database_url,
        "TOSS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "TOSS_API_URL": toss_api_url,
        "AUTH_JWT_SECRET": JWT_SECRET,
        "TOSS_GRAPHQL_VAR_DIR": str(directory),
        "RECONCILE_INTERVAL_SECONDS": "0",
        # Bursts of one buyer from one address are what these tests are made of.
        "RATE_LIMIT_PER_BUYER": "10000",
        "RATE_LIMIT_PER_ADDRESS": "10000",
        "RATE_LIMIT_REQUESTS_PER_ADDRESS": "100000",
        "RATE_LIMIT_ANONYMOUS_PER_ADDRESS": "10000",
        **(settings or {}),
    }
    with run_cli(
        ["serve", "--port", str(port), "--workers", str(workers)],
        env,
        f"{url}/readyz",
        url,
        directory / f"{name}.log",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def module_api_server(
    request: pytest.FixtureRequest,
    migrated_database: str,
    sandbox_server: ServerProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    """One `serve` process for the module's tests on one database; use `served_api`."""
    settings: Mapping[str, str] = getattr(request.module, "SERVE_SETTINGS", {})
    directory = tmp_path_factory.mktemp("served-api")
    with serve_api(directory, migrated_database, sandbox_server.url, settings=settings) as server:
        yield server


@pytest.fixture
def served_api(module_api_server: ServerProcess) -> ServerProcess:
    """The module's `serve` process, its `log()` only what it writes during this test."""
    if module_api_server.process.poll() is not None:
        pytest.fail(f"the module's API process has exited:\n{module_api_server.log()}")
    return module_api_server.from_here()


@pytest.fixture
async def reset_sandbox(sandbox_client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The session's sandbox; afterwards it sends webhooks nowhere, and its faults, clock
    offset and pending webhooks are gone (payments and its request log stay)."""
    yield sandbox_client
    (await sandbox_client.put("/admin/webhook", json={"url": None})).raise_for_status()
    (await sandbox_client.post("/admin/reset")).raise_for_status()


@pytest.fixture
async def served_client(
    served_api: ServerProcess, clean_database: str, reset_sandbox: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of `served_api`, whose database is emptied and given the catalog.

    Afterwards, before the sandbox is reset, the webhooks the sandbox is sending this
    process arrive and are processed, so none of them lands in the next test.
    """
    await seed_catalog(clean_database)
    # uvicorn closes a connection idle for 5 s; reused at that very moment it fails with a
    # ReadError. Idle connections are dropped here first, after 2 s.
    limits = httpx.Limits(keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=served_api.url, timeout=30, limits=limits) as http:
        yield http

    async def all_sent() -> bool:
        response = await reset_sandbox.get("/admin/webhooks", params={"status": "PENDING"})
        response.raise_for_status()
        return not any(
            delivery["url"].startswith(served_api.url) and delivery["attempts"] == 0
            for delivery in response.json()["deliveries"]
        )

    async def all_processed() -> bool:
        return await _webhooks_received(clean_database) == 0

    await _settle(all_sent, "the sandbox's webhooks to the API were never sent")
    await _settle(all_processed, "the API never finished processing its webhooks")


async def _settle(done: Callable[[], Awaitable[bool]], failure: str) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while not await done():
        if time.monotonic() > deadline:
            pytest.fail(f"{failure} within {SETTLE_SECONDS} s")
        await asyncio.sleep(0.05)


async def _webhooks_received(database_url: str) -> int:
    """How many webhooks wait in the inbox, received and not yet processed."""
    engine = create_database_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(WebhookInboxRow)
                .where(WebhookInboxRow.status == InboxStatus.RECEIVED)
            )
    finally:
        await engine.dispose()
    return int(count or 0)
