"""Holding a request without answering it: how the `timeout` and `drop_after_commit` faults
look to a client, which sees its read timeout expire.

A held request ends when its client disconnects, after `seconds`, or when the sandbox
closes, so no test leaves a long sleep behind.
"""

from __future__ import annotations

import asyncio
from typing import Final

from starlette.requests import Request

HOLD_SECONDS: Final = 120.0


async def _disconnected(request: Request) -> None:
    # Past the body, the server's next message is the disconnect (uvicorn sends it when
    # the client closes the connection).
    while (await request.receive())["type"] != "http.disconnect":
        pass


class Hangs:
    def __init__(self, seconds: float = HOLD_SECONDS) -> None:
        self._seconds = seconds
        self._released = asyncio.Event()

    def open(self) -> None:
        self._released.clear()

    def release_all(self) -> None:
        self._released.set()

    async def hold(self, request: Request) -> None:
        waiters = [
            asyncio.create_task(self._released.wait()),
            asyncio.create_task(_disconnected(request)),
        ]
        try:
            await asyncio.wait(waiters, timeout=self._seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
