"""One process's watchers of order changes, woken by the database feed (db/order_changes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


class OrderSignal:
    """A watcher's flag: raised by a change of its order, lowered when it wakes."""

    __slots__ = ("_raised",)

    def __init__(self) -> None:
        self._raised = asyncio.Event()

    def raise_(self) -> None:
        self._raised.set()

    async def wait(self) -> None:
        await self._raised.wait()
        self._raised.clear()


class OrderChangeHub:
    """Watchers by order id. A change raises the flags of its order's watchers; nothing is
    queued, so a watcher that is slow to wake reads the latest state once, not every step."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[OrderSignal]] = {}
        # Raised while the feed is known to hear the database's signal: /readyz reports it.
        self._listening = asyncio.Event()

    @contextmanager
    def watch(self, order_id: str) -> Iterator[OrderSignal]:
        signal = OrderSignal()
        self._watchers.setdefault(order_id, set()).add(signal)
        try:
            yield signal
        finally:
            watchers = self._watchers[order_id]
            watchers.discard(signal)
            if not watchers:
                del self._watchers[order_id]

    @property
    def watching(self) -> bool:
        return bool(self._watchers)

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    async def until_listening(self) -> None:
        await self._listening.wait()

    def listening_started(self) -> None:
        self._listening.set()

    def listening_stopped(self) -> None:
        self._listening.clear()

    def changed(self, order_id: str) -> None:
        for signal in self._watchers.get(order_id, ()):
            signal.raise_()

    def changed_all(self) -> None:
        """After the feed was away (a lost connection, a log read past its window): every
        watcher reads again, so a change made meanwhile is not missed."""
        for watchers in self._watchers.values():
            for signal in watchers:
                signal.raise_()
