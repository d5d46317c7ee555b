"""The order lock's lease outlasts the longest Toss call the gateway can make: every attempt
waiting its longest for a pooled connection, to connect, send and read, and the waits
between attempts (domain/order_lock.py)."""

from __future__ import annotations

import pytest

from toss_graphql.composition import gateway_config, lock_lease
from toss_graphql.config import SANDBOX_SECRET_KEY, Settings


@pytest.mark.parametrize("timeout_seconds", [1.0, 10.0, 30.0, 300.0])
def test_the_lease_outlasts_every_attempt_with_its_pool_wait_and_backoff(
    timeout_seconds: float,
) -> None:
    settings = Settings(
        toss_secret_key=SANDBOX_SECRET_KEY,
        toss_api_url="http://127.0.0.1:9/",
        toss_timeout_seconds=timeout_seconds,
    )
    config = gateway_config(settings)
    timeout = config.timeout
    assert timeout.pool is not None and timeout.connect is not None
    assert timeout.write is not None and timeout.read is not None
    longest_attempt = timeout.pool + timeout.connect + timeout.write + timeout.read
    backoff = config.cancel_retry_spacing_seconds * (config.max_attempts - 1)

    lease = lock_lease(config).total_seconds()

    assert lease > longest_attempt * config.max_attempts + backoff
