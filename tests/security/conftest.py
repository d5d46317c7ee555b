"""Fixtures for the security suite: the API on a SQLite file of its own, for the fuzzer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import settings_for
from tests.support.servers import ServerProcess
from toss_graphql.app import create_app


@pytest.fixture
async def sqlite_api(
    sandbox_server: ServerProcess, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The API over ASGI on a fresh SQLite file (it migrates itself at start), whatever `--db`
    says: the fuzzer tests the edge of the service, which does not change with the database."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    app = create_app(settings_for(database_url, sandbox_server.url, tmp_path))
    async with app.router.lifespan_context(app):
        # An exception that escapes the app reaches the client as the 500 a server would send,
        # not as an exception in the test: the fuzzer judges what a client sees.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client
