"""The process's watchers: a change raises its order's flags only, a flag raised twice is
read once, and a watcher leaves no trace."""

from __future__ import annotations

import asyncio

from toss_graphql.db.order_change_hub import OrderChangeHub

QUIET_SECONDS = 0.05


async def raised(signal_wait: asyncio.Future[None]) -> bool:
    await asyncio.sleep(QUIET_SECONDS)
    return signal_wait.done()


async def test_a_change_raises_its_orders_watchers_only() -> None:
    hub = OrderChangeHub()
    with hub.watch("a") as first, hub.watch("a") as second, hub.watch("b") as other:
        waits = [asyncio.ensure_future(s.wait()) for s in (first, second, other)]
        hub.changed("a")
        assert [await raised(w) for w in waits] == [True, True, False]
        waits[2].cancel()
    assert not hub.watching


async def test_changes_before_a_wake_up_are_read_once() -> None:
    hub = OrderChangeHub()
    with hub.watch("a") as signal:
        hub.changed("a")
        hub.changed("a")
        await asyncio.wait_for(signal.wait(), 1)
        assert not await raised(asyncio.ensure_future(signal.wait()))


async def test_after_the_feed_was_away_every_watcher_reads_again() -> None:
    hub = OrderChangeHub()
    with hub.watch("a") as first, hub.watch("b") as second:
        hub.changed_all()
        await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), 1)
    assert not hub.watching
