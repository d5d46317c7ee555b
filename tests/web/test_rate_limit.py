from __future__ import annotations

import asyncio

import pytest

from toss_graphql.web import AddressRateLimiter, MutationRateLimiter, RequestRateLimiter
from toss_graphql.web.rate_limit import MemoryWindows, _MovingWindows, address_bucket
from toss_graphql.web.shared_rate_limits import RedisWindows, window_store


async def test_the_buyer_over_the_limit_is_told_when_to_retry() -> None:
    limiter = MutationRateLimiter(per_buyer=3, per_address=100)

    allowed = [await limiter.check("buyer-1", "10.0.0.1") for _ in range(3)]
    refused = await limiter.check("buyer-1", "10.0.0.1")

    assert allowed == [None, None, None]
    assert refused is not None
    assert 1 <= refused <= 60


async def test_another_buyer_is_unaffected() -> None:
    limiter = MutationRateLimiter(per_buyer=2, per_address=100)
    for _ in range(2):
        await limiter.check("buyer-1", "10.0.0.1")

    assert await limiter.check("buyer-1", "10.0.0.1") is not None
    assert await limiter.check("buyer-2", "10.0.0.1") is None


async def test_anonymous_callers_are_limited_by_address() -> None:
    limiter = MutationRateLimiter(per_buyer=100, per_address=2)

    answers = [await limiter.check(None, "10.0.0.1") for _ in range(3)]

    assert answers[:2] == [None, None]
    assert answers[2] is not None
    assert await limiter.check(None, "10.0.0.2") is None


async def test_a_refusal_spends_nothing_from_the_other_bucket() -> None:
    limiter = MutationRateLimiter(per_buyer=1, per_address=2)
    assert await limiter.check("buyer-1", "10.0.0.1") is None

    assert await limiter.check("buyer-1", "10.0.0.1") is not None
    assert await limiter.check("buyer-2", "10.0.0.1") is None


async def test_waiting_the_retry_after_frees_the_caller() -> None:
    limiter = MutationRateLimiter(per_buyer=1, per_address=100, window_seconds=1)
    assert await limiter.check("buyer-1", None) is None
    retry_after = await limiter.check("buyer-1", None)
    assert retry_after == 1

    await asyncio.sleep(retry_after + 0.01)

    assert await limiter.check("buyer-1", None) is None


@pytest.mark.parametrize(("per_buyer", "per_address"), [(0, 10), (10, 0)])
def test_a_limit_below_one_is_refused(per_buyer: int, per_address: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MutationRateLimiter(per_buyer, per_address)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_across_the_minute_boundary_gets_no_second_budget() -> None:
    clock = _Clock()
    windows = _MovingWindows(60, clock=clock)
    limit = windows.item(3, "requests")
    clock.now += 58
    assert [windows.spend([(limit, "10.0.0.1")]) for _ in range(3)] == [None, None, None]
    clock.now += 4  # a fixed window would have started afresh here
    assert windows.spend([(limit, "10.0.0.1")]) == 56
    clock.now += 56
    assert windows.spend([(limit, "10.0.0.1")]) is None


def test_buckets_with_nothing_in_the_window_are_forgotten() -> None:
    clock = _Clock()
    windows = _MovingWindows(60, clock=clock)
    limit = windows.item(5, "requests")
    for address in range(100):
        windows.spend([(limit, f"10.0.0.{address}")])
    clock.now += 61
    windows.spend([(limit, "10.0.1.1")])
    assert list(windows._hits) == [("requests", "10.0.1.1")]


def test_the_storage_url_chooses_where_limits_are_counted() -> None:
    assert isinstance(window_store("memory://"), MemoryWindows)
    assert isinstance(window_store("redis://127.0.0.1:6379"), RedisWindows)
    with pytest.raises(ValueError, match="memory:// or redis://"):
        window_store("memcached://127.0.0.1:11211")


@pytest.mark.parametrize(
    ("address", "prefix", "bucket"),
    [
        ("2001:db8:1:2:aaaa::1", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa::1", 48, "2001:db8:1::/48"),
        ("2001:db8:1:2:aaaa::1", 128, "2001:db8:1:2:aaaa::1/128"),
        ("::ffff:192.0.2.7", 64, "192.0.2.7"),
        ("192.0.2.7", 64, "192.0.2.7"),
        ("testclient", 64, "testclient"),
        (None, 64, None),
    ],
)
def test_an_address_is_counted_in_its_bucket(
    address: str | None, prefix: int, bucket: str | None
) -> None:
    assert address_bucket(address, prefix) == bucket


async def test_an_ipv6_client_rotating_inside_its_network_shares_one_budget() -> None:
    limiter = RequestRateLimiter(per_address=3, anonymous_per_address=100)
    rotating = [f"2001:db8:1:2::{n:x}" for n in range(1, 5)]

    answers = [await limiter.check(address, anonymous=False) for address in rotating]

    assert answers[:3] == [None, None, None]
    assert answers[3] is not None
    assert await limiter.check("2001:db8:1:3::1", anonymous=False) is None


async def test_the_ipv6_prefix_is_configurable() -> None:
    each_alone = AddressRateLimiter(1, "webhooks", ipv6_prefix=128)
    by_48 = MutationRateLimiter(per_buyer=100, per_address=1, ipv6_prefix=48)

    assert await each_alone.check("2001:db8:1:2::1") is None
    assert await each_alone.check("2001:db8:1:2::2") is None
    assert await by_48.check(None, "2001:db8:1:2::1") is None
    assert await by_48.check(None, "2001:db8:1:ffff::1") is not None


@pytest.mark.parametrize("prefix", [31, 129])
def test_an_ipv6_prefix_outside_32_to_128_is_refused(prefix: int) -> None:
    with pytest.raises(ValueError, match="32 to 128"):
        RequestRateLimiter(10, 10, ipv6_prefix=prefix)
