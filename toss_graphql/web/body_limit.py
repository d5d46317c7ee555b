"""Refuses request bodies above a size limit, declared or streamed, with a 413."""

from __future__ import annotations

import json
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_TOO_LARGE: Final = json.dumps(
    {"errors": [{"message": "request body too large", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}
).encode()


class _BodyTooLarge(Exception):
    """Raised into the app from `receive`, so it stops reading a body it will not get."""


async def _answer_too_large(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_TOO_LARGE)).encode()),
                # The rest of the body may still be on the wire: closing spares reading it.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_LARGE})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class _LimitedExchange:
    """One request whose body is counted as the app reads it."""

    def __init__(self, max_bytes: int, receive: Receive, send: Send) -> None:
        self._max_bytes = max_bytes
        self._receive = receive
        self._send = send
        self._received = 0
        self._exceeded = False
        self._response_started = False
        self.answered = False

    async def receive(self) -> Message:
        if self._exceeded:
            raise _BodyTooLarge
        message = await self._receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._max_bytes:
                self._exceeded = True
                # Answer here rather than where the exception surfaces: an error handler
                # between the app and this middleware (Starlette's ServerErrorMiddleware,
                # when the limit wraps a whole Starlette app) would send a 500 first.
                if not self._response_started:
                    await _answer_too_large(self._send)
                    self.answered = True
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        # Once the client has its 413, whatever the interrupted app answers is dropped.
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self._response_started = True
        await self._send(message)


class BodySizeLimitMiddleware:
    """Answers 413 PAYLOAD_TOO_LARGE to a body over `max_bytes`.

    A `Content-Length` over the limit is refused before the app runs. A chunked body is
    counted as the app reads it; past the limit reading stops and the client gets the 413,
    unless the app had already started its response, in which case the exchange is
    aborted (the error propagates to the server, which drops the connection).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _answer_too_large(send)
            return
        exchange = _LimitedExchange(self.max_bytes, receive, send)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except _BodyTooLarge:
            if not exchange.answered:
                raise
