"""The two window stores answer alike: this process's memory, and Redis (a real
redis-server) as a fleet shares it (docs/operations.md, "Shared rate limits: Redis")."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from tests.support.redis_server import redis_server
from tests.support.servers import free_port
from toss_graphql.web.rate_limit import MemoryWindows, WindowStore
from toss_graphql.web.shared_rate_limits import RedisWindows

StoreMaker = Callable[..., WindowStore]

# Only against a store that does not answer: a generous bound that catches a hang.
HANG_SECONDS = 10


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


@pytest.fixture(params=["memory", "redis"])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
async def open_store(store_kind: str, request: pytest.FixtureRequest) -> AsyncIterator[StoreMaker]:
    """A maker of stores of the parametrized kind, each closed afterwards."""
    opened: list[RedisWindows] = []

    def make(window_seconds: int = 60) -> WindowStore:
        if store_kind == "memory":
            return MemoryWindows(window_seconds)
        store = RedisWindows(request.getfixturevalue("redis_url"), window_seconds)
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


def bucket(request: pytest.FixtureRequest, name: str) -> str:
    """A bucket of this test's own: the Redis server outlives it."""
    return f"{request.node.name}:{name}"


async def test_a_request_spends_from_every_bucket_or_from_none(
    open_store: StoreMaker, request: pytest.FixtureRequest
) -> None:
    store = open_store()
    address, buyer = store.item(2, "address"), store.item(1, "buyer")
    here, alice, bob = (bucket(request, name) for name in ("here", "alice", "bob"))

    assert await store.spend([(address, here), (buyer, alice)]) is None
    # Alice is over her budget: the address, tested first and with room, is not spent.
    assert await store.spend([(address, here), (buyer, alice)]) is not None
    assert await store.spend([(address, here), (buyer, bob)]) is None
    assert await store.spend([(address, here), (buyer, bob + "2")]) is not None


async def test_the_retry_after_is_when_the_oldest_hit_leaves_the_window(
    open_store: StoreMaker, request: pytest.FixtureRequest
) -> None:
    store = open_store(window_seconds=60)
    limit = store.item(3, "requests")
    key = bucket(request, "here")

    assert [await store.spend([(limit, key)]) for _ in range(3)] == [None, None, None]
    retry_after = await store.spend([(limit, key)])

    assert retry_after is not None
    assert 59 <= retry_after <= 60


async def test_the_window_is_the_one_configured(
    open_store: StoreMaker, request: pytest.FixtureRequest
) -> None:
    store = open_store(window_seconds=1)
    limit = store.item(1, "requests")
    key = bucket(request, "here")
    assert await store.spend([(limit, key)]) is None
    retry_after = await store.spend([(limit, key)])
    assert retry_after == 1

    # Waiting out the window is what is being tested: the hit leaves it after a second.
    await asyncio.sleep(retry_after + 0.01)

    assert await store.spend([(limit, key)]) is None


async def test_a_burst_gets_exactly_the_limit(
    open_store: StoreMaker, request: pytest.FixtureRequest
) -> None:
    store = open_store()
    limit = store.item(5, "buyer")
    key = bucket(request, "alice")

    answers = await asyncio.gather(*(store.spend([(limit, key)]) for _ in range(200)))

    assert answers.count(None) == 5


async def test_redis_gone_lets_requests_through_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisWindows(f"redis://127.0.0.1:{free_port()}")
    limit = store.item(1, "buyer")
    with caplog.at_level(logging.WARNING, "toss_graphql.web.shared_rate_limits"):
        answers = [await store.spend([(limit, "alice")]) for _ in range(3)]
    await store.close()

    assert answers == [None, None, None]
    assert [record.message for record in caplog.records] == [
        "rate limit store unavailable; requests are let through"
    ]


async def test_redis_that_does_not_answer_lets_a_burst_through() -> None:
    """A store that accepts connections and never replies: each request waits a bounded
    time, then goes ahead."""
    with socket.create_server(("127.0.0.1", 0), backlog=512) as silent:
        store = RedisWindows(f"redis://127.0.0.1:{silent.getsockname()[1]}")
        limit = store.item(1, "buyer")
        answers = await asyncio.wait_for(
            asyncio.gather(*(store.spend([(limit, "alice")]) for _ in range(100))),
            HANG_SECONDS,
        )
        await store.close()

    assert answers == [None] * 100
