"""Holding a request's answer back: how the `timeout` and `drop_after_commit` faults look to
a client, which sees its read timeout expire, and how `latency` delays its answer.

A held request ends when its client disconnects, after its time, or when the sandbox
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

    async def hold(self, request: Request, seconds: float | None = None) -> bool:
        """Wait `seconds` (by default the longest hold); whether the client hung up first.

        The request's body must have been read: the next message is then the disconnect.
        """
        released = asyncio.create_task(self._released.wait())
        hung_up = asyncio.create_task(_disconnected(request))
        try:
            await asyncio.wait(
                [released, hung_up],
                timeout=self._seconds if seconds is None else seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in (released, hung_up):
                waiter.cancel()
            await asyncio.gather(released, hung_up, return_exceptions=True)
        return hung_up.done() and not hung_up.cancelled() and hung_up.exception() is None
