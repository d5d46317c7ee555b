from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import respx

from toss_graphql.gateway import TossGateway, TossGatewayConfig, create_http_client

from .payloads import BASE_URL, SECRET_KEY


@pytest.fixture
def config() -> TossGatewayConfig:
    # No backoff: retries are exercised for their count and keys, not their pacing.
    return TossGatewayConfig(
        base_url=BASE_URL,
        secret_key=SECRET_KEY,
        backoff_seconds=0,
        cancel_retry_spacing_seconds=0,
    )


@pytest.fixture
def toss() -> Iterator[respx.MockRouter]:
    """Toss's API, mocked; a request no route matches fails the test."""
    with respx.mock(base_url=BASE_URL, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
async def gateway(config: TossGatewayConfig) -> AsyncIterator[TossGateway]:
    async with create_http_client(config) as http_client:
        yield TossGateway(http_client, config)
