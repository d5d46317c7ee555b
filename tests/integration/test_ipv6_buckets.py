"""An IPv6 client is counted by its network, not by each of its addresses: a client given a
/64 cannot rotate inside it for a fresh budget (RATE_LIMIT_IPV6_PREFIX, docs/security.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from tests.conftest import settings_for
from tests.support.servers import ServerProcess
from toss_graphql.app import create_app
from toss_graphql.config import Settings

ANONYMOUS_PER_ADDRESS = 3

ClientAt = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def api_with_prefix(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> Callable[[int], AbstractAsyncContextManager[ClientAt]]:
    """The API with RATE_LIMIT_IPV6_PREFIX set, and a client of it at any address."""

    @asynccontextmanager
    async def started(prefix: int) -> AsyncIterator[ClientAt]:
        settings = settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
            update={
                "rate_limit_anonymous_per_address": ANONYMOUS_PER_ADDRESS,
                "rate_limit_ipv6_prefix": prefix,
            }
        )
        app = create_app(settings)

        @asynccontextmanager
        async def client_at(address: str) -> AsyncIterator[httpx.AsyncClient]:
            transport = httpx.ASGITransport(app=app, client=(address, 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
                yield c

        async with app.router.lifespan_context(app):
            yield client_at

    return started


async def status_from(client_at: ClientAt, address: str) -> int:
    async with client_at(address) as client:
        response = await client.post("/graphql", json={"query": "{ __typename }"})
        return response.status_code


async def test_addresses_of_one_ipv6_network_share_its_budget(
    api_with_prefix: Callable[[int], AbstractAsyncContextManager[ClientAt]],
) -> None:
    async with api_with_prefix(64) as client_at:
        rotating = [await status_from(client_at, f"2001:db8:1:2::{n:x}") for n in range(1, 5)]
        next_network = await status_from(client_at, "2001:db8:1:3::1")

    assert rotating[:ANONYMOUS_PER_ADDRESS] == [200] * ANONYMOUS_PER_ADDRESS
    assert rotating[ANONYMOUS_PER_ADDRESS] == 429
    assert next_network == 200


async def test_a_prefix_of_128_counts_each_address_alone(
    api_with_prefix: Callable[[int], AbstractAsyncContextManager[ClientAt]],
) -> None:
    async with api_with_prefix(128) as client_at:
        statuses = [await status_from(client_at, f"2001:db8:1:2::{n:x}") for n in range(1, 5)]

    assert statuses == [200] * 4


@pytest.mark.parametrize(
    "setting",
    [
        {"rate_limit_ipv6_prefix": 31},
        {"rate_limit_ipv6_prefix": 129},
        {"subscription_connections_per_subject": 0},
        {"subscription_connections_per_address": 0},
    ],
)
def test_socket_and_bucket_settings_out_of_bounds_are_refused(setting: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        Settings(**setting)  # type: ignore[arg-type]
