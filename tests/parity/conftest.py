"""Two apps on one database: one on the fast paths, one with a switch off (README.md,
Configuration), each set explicitly, whatever the environment says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import JWT_SECRET
from tests.support.database import seed_catalog
from toss_graphql.app import create_app
from toss_graphql.config import Settings

FAST: dict[str, Any] = {
    "graphql_fast_path": True,
    "graphql_limit_rules": "own",
    "graphql_extensions": "pipeline",
    "sqlite_driver": "one-trip",
}
# Each switch alone, and every one of them at once.
STOCK: dict[str, dict[str, Any]] = {
    "fast-path": {"graphql_fast_path": False},
    "limit-rules": {"graphql_limit_rules": "strawberry"},
    "extensions": {"graphql_extensions": "strawberry"},
    "sqlite-driver": {"sqlite_driver": "aiosqlite"},
    "all": {
        "graphql_fast_path": False,
        "graphql_limit_rules": "strawberry",
        "graphql_extensions": "strawberry",
        "sqlite_driver": "aiosqlite",
    },
}


@dataclass(frozen=True, slots=True)
class Pair:
    switch: str
    fast: httpx.AsyncClient
    stock: httpx.AsyncClient


@pytest.fixture(params=sorted(STOCK))
def switch(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def pair(settings: Settings, switch: str, clean_database: str) -> AsyncIterator[Pair]:
    """The fast app and the app with `switch` off, both started, on the same clean database
    with the catalog in it. Rate limits are far away: parity is not about them."""
    await seed_catalog(clean_database)
    roomy = {
        "rate_limit_per_buyer": 100_000,
        "rate_limit_per_address": 100_000,
        "rate_limit_requests_per_address": 100_000,
        "rate_limit_anonymous_per_address": 100_000,
        "auth_jwt_secret": JWT_SECRET,
    }
    fast_app = create_app(settings.model_copy(update={**roomy, **FAST}))
    stock_app = create_app(settings.model_copy(update={**roomy, **FAST, **STOCK[switch]}))
    async with (
        fast_app.router.lifespan_context(fast_app),
        stock_app.router.lifespan_context(stock_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fast_app), base_url="http://api.test"
        ) as fast,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=stock_app), base_url="http://api.test"
        ) as stock,
    ):
        yield Pair(switch, fast, stock)
