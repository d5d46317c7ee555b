"""HTTP multipart subscriptions end when the process is told to stop, as its WebSockets are
closed with 1012 (docs/realtime.md, "Guarantees"; docs/operations.md, "Stopping: rolling
deploys").

uvicorn closes WebSockets at shutdown but leaves a streaming HTTP response running: a
subscription never ends by itself, so the stop would wait out the whole grace and then cancel
it, cutting the client's stream mid-part. Here the stop is heard as it begins (the server's own
SIGTERM and SIGINT handlers are chained, not replaced) and every open multipart subscription
ends properly: a last part whose error says the server is going away, then the closing
boundary. A client subscribes again, landing on another instance.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

from strawberry.http.streaming import MultipartSubscriptionTransport

TextStream = Callable[[], AsyncIterator[str]]
SignalHandler = Callable[[int, FrameType | None], Any]

GOING_AWAY_ERROR = {
    "message": "the server is going away: subscribe again",
    "extensions": {"code": "SERVICE_UNAVAILABLE"},
}
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class GoingAway:
    """Announced once, when the process begins to stop."""

    def __init__(self) -> None:
        self._announced = asyncio.Event()

    @property
    def announced(self) -> bool:
        return self._announced.is_set()

    def announce(self) -> None:
        self._announced.set()

    async def wait(self) -> None:
        await self._announced.wait()

    @contextmanager
    def on_stop_signals(self) -> Iterator[None]:
        """Announced by SIGTERM or SIGINT, then handled as before: by the server's own handler,
        which stops it gracefully. A process with no handler of its own simply ends."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread's handlers only
            return
        loop = asyncio.get_running_loop()
        chained: dict[signal.Signals, tuple[SignalHandler, SignalHandler]] = {}
        for stop_signal in _STOP_SIGNALS:
            previous = signal.getsignal(stop_signal)
            if not callable(previous):
                continue
            handler = self._chained_to(previous, loop)
            signal.signal(stop_signal, handler)
            chained[stop_signal] = (handler, previous)
        try:
            yield
        finally:
            for stop_signal, (handler, previous) in chained.items():
                # Whoever installed a handler after this one keeps it.
                if signal.getsignal(stop_signal) is handler:
                    signal.signal(stop_signal, previous)

    def _chained_to(
        self, previous: SignalHandler, loop: asyncio.AbstractEventLoop
    ) -> SignalHandler:
        def announce_then_stop(signal_number: int, frame: FrameType | None) -> Any:
            # A signal handler runs between two bytecodes of the main thread: the loop's own
            # wake-up is the safe way to reach it.
            loop.call_soon_threadsafe(self.announce)
            return previous(signal_number, frame)

        return announce_then_stop


def is_multipart_subscription(content_type: str) -> bool:
    return content_type.startswith("multipart/mixed") and "subscriptionSpec" in content_type


def ending_when_going_away(
    stream: TextStream, going_away: GoingAway, encode_json: Callable[[object], str]
) -> TextStream:
    """`stream`, a multipart subscription, ended properly if the process begins to stop."""
    transport = MultipartSubscriptionTransport()
    last_words = (
        transport.encode_multipart_data(
            {"payload": None, "errors": [GOING_AWAY_ERROR]}, encode_json
        )
        + transport.encode_complete()
    )

    async def ended() -> AsyncGenerator[str, None]:
        source = stream()
        stopping = asyncio.ensure_future(going_away.wait())
        following: asyncio.Future[str | None] | None = None
        try:
            while True:
                following = asyncio.ensure_future(_next_of(source))
                await asyncio.wait((following, stopping), return_when=asyncio.FIRST_COMPLETED)
                if not following.done():
                    await _cancelled(following)
                    yield last_words
                    return
                chunk = following.result()
                if chunk is None:
                    return
                yield chunk
        finally:
            stopping.cancel()
            if following is not None and not following.done():
                await _cancelled(following)  # the client left while a part was awaited
            # Ends the subscription and its heartbeat, whichever way the stream ended.
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()

    return ended


async def _next_of(source: AsyncIterator[str]) -> str | None:
    try:
        return await anext(source)
    except StopAsyncIteration:
        return None


async def _cancelled(future: asyncio.Future[str | None]) -> None:
    future.cancel()
    with suppress(asyncio.CancelledError):
        await future
