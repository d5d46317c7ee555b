from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from tests.support.postgres import required_temporary_database
from toss_sandbox import Sandbox, SandboxConfig

from .databases import empty_sandbox_tables
from .driver import MovableClock, SandboxDriver
from .loopback import WebhookReceiver, serving

SandboxFactory = Callable[..., Awaitable[Sandbox]]
Serve = Callable[[ASGIApp], Awaitable[str]]


@pytest.fixture
def clock() -> MovableClock:
    # 12:00 KST, so the +09:00 rendering is visible in every timestamp.
    return MovableClock(datetime(2025, 3, 1, 3, 0, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def sandbox_postgres_url() -> Iterator[str]:
    """The session's PostgreSQL database for sandboxes; its own, so the sandbox's tables
    never meet the API's."""
    with required_temporary_database() as url:
        yield url


@pytest.fixture
def database_url(database_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database per test, on each kind `--db` names (both by default): a SQLite
    file, or the session's PostgreSQL database emptied (databases.py)."""
    if database_kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/sb.db"
    url: str = request.getfixturevalue("sandbox_postgres_url")
    asyncio.run(empty_sandbox_tables(url))
    return url


@pytest.fixture
async def make_sandbox(database_url: str, clock: MovableClock) -> AsyncIterator[SandboxFactory]:
    """Started sandboxes on the test's database file, closed at teardown."""
    started: list[Sandbox] = []

    async def make(**overrides: Any) -> Sandbox:
        settings: dict[str, Any] = {"database_url": database_url, "clock": clock, **overrides}
        sandbox = Sandbox(SandboxConfig(**settings))
        await sandbox.start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        await sandbox.close()


@pytest.fixture
async def sandbox(make_sandbox: SandboxFactory) -> Sandbox:
    return await make_sandbox()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        yield client


@pytest.fixture
def toss(client: httpx.AsyncClient) -> SandboxDriver:
    return SandboxDriver(client)


@pytest.fixture(scope="session")
async def loopback_host() -> AsyncIterator[tuple[Starlette, str]]:
    """One uvicorn server on loopback for the whole session; tests mount their apps on it."""
    host = Starlette()
    async with serving(host) as base_url:
        yield host, base_url


@pytest.fixture
def serve(loopback_host: tuple[Starlette, str]) -> Iterator[Serve]:
    """Serves ASGI apps over real loopback HTTP until the test ends; each one's base URL."""
    host, base_url = loopback_host
    mounted: list[Mount] = []

    async def start(app: ASGIApp) -> str:
        mount = Mount(f"/app-{secrets.token_hex(6)}", app=app)
        host.router.routes.append(mount)
        mounted.append(mount)
        return f"{base_url}{mount.path}"

    yield start
    for mount in mounted:
        host.router.routes.remove(mount)


@pytest.fixture
async def receiver(serve: Serve) -> WebhookReceiver:
    """A merchant's webhook endpoint on loopback."""
    webhook_receiver = WebhookReceiver()
    webhook_receiver.url = f"{await serve(webhook_receiver.app)}/webhooks/toss"
    return webhook_receiver


@pytest.fixture
async def hooked(
    make_sandbox: SandboxFactory, receiver: WebhookReceiver
) -> AsyncIterator[SandboxDriver]:
    """A sandbox whose webhooks go to `receiver`, sent only when the test asks
    (`POST /admin/webhooks/deliver`), so every attempt is the test's own."""
    sandbox = await make_sandbox(webhook_url=receiver.url, webhook_poll_seconds=None)
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        yield SandboxDriver(client)


@pytest.fixture
async def toss_over_http(sandbox: Sandbox, serve: Serve) -> AsyncIterator[SandboxDriver]:
    """The `sandbox` served by uvicorn on loopback, for faults only real HTTP shows (a read
    timeout, a client hanging up)."""
    base_url = await serve(sandbox.app)
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
        yield SandboxDriver(client)
