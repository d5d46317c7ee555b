"""The memory windows (web/rate_limit.py) and the Redis windows a fleet shares answer one
sequence of spends alike, step by step: which requests are let through, which are refused.
tests/web/test_window_stores.py holds each behaviour to a table of its own over both stores;
this runs long mixed sequences through the two side by side."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

import pytest

from tests.support.redis_server import redis_server
from toss_graphql.web.rate_limit import Limit, MemoryWindows, WindowStore
from toss_graphql.web.shared_rate_limits import RedisWindows

WINDOW_SECONDS = 60


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


def _sequence(seed: int) -> list[list[tuple[int, str, str]]]:
    """Requests, each spending from one to three buckets (per window, namespace, key): a
    buyer's, an address's, the anonymous budget, as the limiters combine them."""
    chooser = random.Random(seed)
    limits = [(3, "buyer"), (5, "address"), (2, "anonymous")]
    keys = ["alice", "mallory", "203.0.113.7"]
    return [
        [
            (per_window, namespace, chooser.choice(keys))
            for per_window, namespace in chooser.sample(limits, chooser.randint(1, 3))
        ]
        for _ in range(60)
    ]


async def _answers(
    store: WindowStore, sequence: list[list[tuple[int, str, str]]], run: str
) -> list[int | None]:
    items: dict[tuple[int, str], Limit] = {}
    answers: list[int | None] = []
    for request in sequence:
        buckets = [
            (items.setdefault((n, name), store.item(n, f"{run}-{name}")), key)
            for n, name, key in request
        ]
        answers.append(await store.spend(buckets))
    return answers


@pytest.mark.parametrize("seed", range(8))
async def test_memory_and_redis_admit_and_refuse_the_same_requests(
    redis_url: str, seed: int
) -> None:
    sequence = _sequence(seed)
    run = uuid.uuid4().hex  # Redis outlives a test: each run counts in buckets of its own
    memory_answers = await _answers(MemoryWindows(WINDOW_SECONDS), sequence, run)
    redis = RedisWindows(redis_url, WINDOW_SECONDS)
    try:
        redis_answers = await _answers(redis, sequence, run)
    finally:
        await redis.close()

    assert [answer is None for answer in redis_answers] == [
        answer is None for answer in memory_answers
    ]
    # Every refusal tells a wait within the window, from either store.
    for answer in (*memory_answers, *redis_answers):
        assert answer is None or 1 <= answer <= WINDOW_SECONDS
    assert None in memory_answers and any(answer is not None for answer in memory_answers)
