from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from toss_graphql.sandbox import Sandbox, SandboxConfig

from .driver import MovableClock, SandboxDriver

SandboxFactory = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
def clock() -> MovableClock:
    # 12:00 KST, so the +09:00 rendering is visible in every timestamp.
    return MovableClock(datetime(2025, 3, 1, 3, 0, 0, tzinfo=UTC))


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/sb.db"


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
