"""graphql-transport-ws with this service's rules (docs/realtime.md): who may connect, how
many sockets and operations a caller may have, for how long, and what a client that stops
reading costs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)

from ..schema.context import Context
from ..schema.trusted_documents import (
    TrustedDocuments,
    UntrustedDocument,
    document_to_run,
    persisted_query_hash,
)
from .open_sockets import OpenSockets, SocketTally
from .rate_limit import address_bucket

log = logging.getLogger(__name__)

# graphql-transport-ws's close codes, and WebSocket's own for a policy violation.
FORBIDDEN = 4403
BAD_REQUEST = 4400
TOO_MANY_INITIALISATIONS = 4429
# Past SUBSCRIPTION_CONNECTIONS_PER_SUBJECT or _PER_ADDRESS: graphql-transport-ws's code for
# "too many", which graphql-ws clients do not retry (docs/security.md).
TOO_MANY_CONNECTIONS = 4429
POLICY_VIOLATION = 1008


@dataclass(frozen=True, slots=True)
class SocketRules:
    keepalive_seconds: float
    send_timeout_seconds: float


class ConnectionGate(Protocol):
    rules: SocketRules
    trusted: TrustedDocuments | None
    sockets: OpenSockets

    async def operation_wait(self, context: Context) -> int | None:
        """Count one operation against the connection's address budget, as an HTTP request
        is: None when it may run, else the seconds until one may."""
        ...

    def authenticate_connection(self, context: Context, params: Mapping[str, object]) -> str | None:
        """Settle the connection's caller from `connection_init`'s payload (or the upgrade's
        Authorization header): None when admitted, else the reason it is not."""
        ...


class NothingToSendTo(Exception):
    """The socket is closed on this side, or its client stopped reading: a message for it is
    dropped, and the operation ends quietly (its end is logged where the socket was closed)."""


class SlowConsumer(NothingToSendTo):
    """The client stopped reading: its connection is being dropped."""


def malformed_subscribe(message: Mapping[str, object], *, by_id: bool = False) -> str | None:
    """Why a `subscribe` message does not follow graphql-transport-ws, or None; `by_id`: a
    trusted document may be named by `documentId` instead of sent as `query`."""
    operation_id, payload = message.get("id"), message.get("payload")
    if not isinstance(operation_id, str) or not operation_id:
        return "Invalid message: 'id' must be a non-empty string"
    if not isinstance(payload, dict):
        return "Invalid message: 'payload' must be an object"
    named = by_id and isinstance(payload.get("documentId"), str)
    if not isinstance(payload.get("query"), str) and not named:
        return "Invalid message: 'payload.query' must be a string"
    for name in ("variables", "extensions"):
        if not isinstance(payload.get(name), dict | None):
            return f"Invalid message: 'payload.{name}' must be an object or null"
    for name in ("operationName", "documentId"):
        if not isinstance(payload.get(name), str | None):
            return f"Invalid message: 'payload.{name}' must be a string or null"
    return None


class GraphQLTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's handler, plus: past its address's or its subject's share of open sockets
    a connection is closed with 4429 and the reason; it is authenticated at `connection_init`
    or closed with 4403 and the reason; each operation is counted against the address's
    request budget, and refused past it with an `error` message (RATE_LIMITED); it is pinged
    every `keepalive_seconds`; it is closed with 4403 when its token expires; and a message
    not taken by the client within `send_timeout_seconds` closes it (1008), so a client that
    stops reading holds no more than the socket's buffers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connection_tasks: list[asyncio.Task[None]] = []
        self._main_task: asyncio.Task[Any] | None = None
        self._dropped = False
        # The places this socket holds in the caps on open sockets, given back when it ends.
        self._places: list[tuple[SocketTally, str]] = []

    async def handle(self) -> None:
        self._main_task = asyncio.current_task()
        try:
            client = self.context.request.client
            address = address_bucket(
                client.host if client else None, self._gate.sockets.ipv6_prefix
            )
            if address is not None and not await self._take_place(
                self._gate.sockets.per_address, address, "address"
            ):
                return
            await super().handle()
        except NothingToSendTo:
            pass  # closed on this side, and logged where it was closed
        except asyncio.CancelledError:
            if not self._dropped:
                raise
        finally:
            for tally, key in self._places:
                tally.give_back(key)
            self._places.clear()

    async def _take_place(self, tally: SocketTally, key: str, per: str) -> bool:
        """Hold one of `key`'s places in `tally` for this socket's life; past the cap, close
        the socket with 4429 and the reason."""
        if tally.take(key):
            self._places.append((tally, key))
            return True
        log.info("subscription connection refused", extra={"reason": f"too many per {per}"})
        await self.websocket.close(
            TOO_MANY_CONNECTIONS, f"Too many connections: at most {tally.cap} per {per}"
        )
        return False

    @property
    def _gate(self) -> ConnectionGate:
        gate: ConnectionGate = self.view  # type: ignore[assignment]
        return gate

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        if self.connection_timed_out:
            return
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.websocket.close(BAD_REQUEST, "Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(TOO_MANY_INITIALISATIONS, "Too many initialisation requests")
            return
        self.connection_init_received = True
        problem = self._gate.authenticate_connection(self.context, payload)
        if problem is not None:
            log.info("subscription connection refused", extra={"reason": problem})
            await self.websocket.close(FORBIDDEN, f"Forbidden: {problem}")
            return
        subject = self.context.principal.subject if self.context.principal else None
        if subject is not None and not await self._take_place(
            self._gate.sockets.per_subject, subject, "caller"
        ):
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        self._connection_tasks = [
            asyncio.create_task(self._keep_alive()),
            asyncio.create_task(self._close_at_expiry()),
        ]

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # The protocol's shapes, checked before Strawberry reads them: a payload it would
        # index into, or a query graphql-core cannot parse, would fail in an operation task.
        problem = malformed_subscribe(message, by_id=self._gate.trusted is not None)
        if problem is not None:
            log.info("subscription message refused", extra={"reason": problem})
            await self.websocket.close(BAD_REQUEST, problem)
            return
        # Before the acknowledgement Strawberry closes the socket (4401): nothing to count.
        if self.connection_acknowledged:
            wait = await self._gate.operation_wait(self.context)
            if wait is not None:
                log.info("request rate limited", extra={"transport": "websocket"})
                await self._refuse(
                    message["id"],
                    f"too many requests; retry in {wait} seconds",
                    {"code": "RATE_LIMITED", "retryAfter": wait},
                )
                return
        trusted = self._gate.trusted
        if trusted is not None:
            payload = message["payload"]
            named = payload.get("documentId")
            document_id = named if isinstance(named, str) else None
            try:
                text = document_to_run(
                    trusted,
                    payload.get("query"),
                    document_id or persisted_query_hash(payload.get("extensions")),
                )
            except UntrustedDocument as refused:
                await self._refuse(message["id"], refused.message, {"code": refused.code})
                return
            message = {**message, "payload": {**payload, "query": text}}  # type: ignore[typeddict-item]
        await super().handle_subscribe(message)

    async def _refuse(self, operation_id: str, message: str, extensions: dict[str, object]) -> None:
        """End an operation before it runs: graphql-transport-ws's `error` message."""
        error = GraphQLError(message, extensions=extensions)
        await self.send_message(
            ErrorMessage(id=operation_id, type="error", payload=[error.formatted])
        )

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._gate.rules.keepalive_seconds)
            with suppress(NothingToSendTo):
                await self.send_message({"type": "ping"})

    async def _close_at_expiry(self) -> None:
        expires_at = self.context.expires_at
        if expires_at is None:
            return
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        log.info("subscription connection closed: its token expired")
        await self.websocket.close(FORBIDDEN, "Forbidden: token has expired")

    async def send_message(self, message: Message) -> None:
        # Once dropped, nothing more is written: another task (the keep-alive, another
        # operation) may have met the stalled socket first and closed it under this one.
        if self._dropped:
            raise SlowConsumer
        try:
            async with asyncio.timeout(self._gate.rules.send_timeout_seconds):
                await self.websocket.send_json(message)
        except TimeoutError:
            await self._drop()
            raise SlowConsumer from None
        except WebSocketDisconnected:
            # Closed on this side (a drop, an expired token, a shutdown) while an operation
            # still had a message for it.
            raise NothingToSendTo from None

    async def _drop(self) -> None:
        """End a connection whose client stopped reading: what it has not read stays in the
        socket's buffers, and nothing more is written for it."""
        if self._dropped:
            return
        self._dropped = True
        log.info("subscriber not reading; connection dropped")
        # The close frame waits behind the unread messages: it is given a moment only.
        with suppress(Exception, TimeoutError):
            async with asyncio.timeout(1):
                await self.websocket.close(POLICY_VIOLATION, "Messages not read in time")
        if self._main_task is not None and self._main_task is not asyncio.current_task():
            self._main_task.cancel()

    async def handle_task_exception(self, error: Exception) -> None:
        # A socket closed on this side was logged where it was closed: no traceback for it.
        if not isinstance(error, NothingToSendTo):
            await super().handle_task_exception(error)

    async def shutdown(self) -> None:
        for task in self._connection_tasks:
            task.cancel()
        await asyncio.gather(*self._connection_tasks, return_exceptions=True)
        await super().shutdown()
