"""The process's watchers: a change raises its order's flags only, a flag raised twice is
read once, and a watcher leaves no trace."""

from __future__ import annotations

import asyncio

from toss_graphql.db.order_change_hub import OrderChangeHub

# How long a lowered flag is watched for staying down, once what could raise it has been done.
QUIET_SECONDS = 0.05
# A guard against a hang, not a measure of speed.
BUDGET_SECONDS = 10


async def stays_lowered(signal_wait: asyncio.Future[None]) -> bool:
    await asyncio.sleep(QUIET_SECONDS)
    return not signal_wait.done()


async def test_a_change_raises_its_orders_watchers_only() -> None:
    hub = OrderChangeHub()
    with hub.watch("a") as first, hub.watch("a") as second, hub.watch("b") as other:
        waits = [asyncio.ensure_future(s.wait()) for s in (first, second, other)]
        hub.changed("a")
        await asyncio.wait_for(asyncio.gather(waits[0], waits[1]), BUDGET_SECONDS)
        # The change has reached its own order's watchers: the other's flag had its chance.
        assert await stays_lowered(waits[2])
        waits[2].cancel()
    assert not hub.watching


async def test_changes_before_a_wake_up_are_read_once() -> None:
    hub = OrderChangeHub()
    with hub.watch("a") as signal:
        hub.changed("a")
        hub.changed("a")
        await asyncio.wait_for(signal.wait(), BUDGET_SECONDS)
        assert await stays_lowered(asyncio.ensure_future(signal.wait()))


async def test_after_the_feed_was_away_every_watcher_reads_again() -> None:
    hub = OrderChangeHub()
    with hub.watch("a") as first, hub.watch("b") as second:
        hub.changed_all()
        await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), BUDGET_SECONDS)
    assert not hub.watching
