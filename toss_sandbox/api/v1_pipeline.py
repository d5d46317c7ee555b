"""What every /v1 call goes through, in Toss's order: authentication, then any fault a test
switched on, the test-code header, the idempotency key, the operation itself; then the
request log, and last any hold a fault puts on the answer.

The database work of a call is one write transaction: the shared state (v1_state.py), the
fault, the operation and the log entry commit together. Two things must be committed before
the operation runs, and then the operation gets a transaction of its own: an idempotency
marker, so that a repeat of the key meanwhile finds it taken, in any process; and the use of
a fault, so that a fault is used up even by a request that then fails.

Whatever happens, the caller gets Toss's JSON error shape, never an HTML traceback. A client
that hangs up is not an error: Toss finishes what it was asked regardless, and so does the
sandbox, which notes the hang-up in one log line.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from toss_sandbox.api import idempotency
from toss_sandbox.api.auth import authenticate
from toss_sandbox.api.faults import HANGING, Fault, FaultKind, take_fault_in
from toss_sandbox.api.hangs import Hangs
from toss_sandbox.api.idempotency import IdempotencyScope, StoredResponse
from toss_sandbox.api.v1_state import read_v1_state
from toss_sandbox.clock import SandboxClock
from toss_sandbox.config import SandboxConfig
from toss_sandbox.i18n import Language, language_of
from toss_sandbox.lifecycle.outbox import Outbox, json_text
from toss_sandbox.storage import request_log
from toss_sandbox.storage.database import Database
from toss_sandbox.urls import route_path
from toss_sandbox.vocabulary.errors import TossApiError
from toss_sandbox.vocabulary.integrations import of_secret_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class V1Call:
    """What an operation runs with."""

    # The call's write transaction; what the operation raises as TossApiError is answered,
    # and the transaction still commits.
    connection: AsyncConnection
    language: Language
    # The sandbox's time, read at the call's start.
    now: datetime
    # Knows the webhook URL read at the call's start.
    outbox: Outbox
    # The secret key the call authenticated with (its API or its widget key); None for a
    # call that needs none.
    secret_key: str | None = None


Operation = Callable[[Request, V1Call], Awaitable[Any]]
"""Returns the JSON content of a 200 answer, or raises TossApiError."""

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Answer:
    # None: the sandbox answered nothing (a `timeout` fault).
    status: int | None
    body: str
    replayed: bool = False


@dataclass(slots=True)
class _Trace:
    """What a call has settled so far, for its log entry and its hold whatever happens."""

    now: datetime | None = None
    # Set once its use is committed.
    fault: Fault | None = None
    # The key set of the secret key it authenticated with (vocabulary/integrations.py), for the log:
    # which set a merchant's server used shows there, never the key.
    key_set: str | None = None


def _error_answer(error: TossApiError, language: Language) -> Answer:
    return Answer(error.http_status, json_text(error.body(language)))


def _fault_error(fault: Fault, language: Language) -> Answer:
    status = fault.spec.status or 500
    # What Toss's own front answers when its back end fails (toss-api.md §4.2).
    default_code = "FAILED_INTERNAL_SYSTEM_PROCESSING" if status == 500 else "COMMON_ERROR"
    body = TossApiError(fault.spec.code or default_code).body(language)
    return Answer(status, json_text(body))


class V1Pipeline:
    def __init__(
        self,
        config: SandboxConfig,
        database: Database,
        clock: SandboxClock,
        outbox: Outbox,
        hangs: Hangs,
    ) -> None:
        self._config = config
        self._database = database
        self._clock = clock
        self._outbox = outbox
        self._hangs = hangs

    def endpoint(self, operation: Operation, *, authenticated: bool = True) -> Endpoint:
        async def handle(request: Request) -> Response:
            return await self._handle(request, operation, authenticated=authenticated)

        return handle

    async def _handle(
        self, request: Request, operation: Operation, *, authenticated: bool
    ) -> Response:
        language = language_of(request.headers.get("accept-language"))
        # Toss ignores the header on GET, which is idempotent by nature.
        idempotency_key = (
            (request.headers.get("idempotency-key") or None) if request.method == "POST" else None
        )
        trace = _Trace()
        logged = False
        try:
            secret_key = (
                authenticate(request.headers.get("authorization"), self._config.secret_keys)
                if authenticated
                else None
            )
            if secret_key is not None:
                trace.key_set = of_secret_key(secret_key).value
            # The whole body (kept for the operation) before a fault is used up or any work
            # starts: a client gone halfway through is met here, where nothing is done yet.
            await request.body()
            answer = await self._serve(
                request,
                operation,
                language,
                trace,
                secret_key=secret_key,
                idempotency_key=idempotency_key,
            )
            logged = True
        except TossApiError as error:
            answer = _error_answer(error, language)
        except ClientDisconnect:
            # Only the body read above can meet it: nobody is left to answer, nothing was done.
            logger.info(
                "client hung up on %s %s before its body arrived",
                request.method,
                route_path(request),
            )
            answer = Answer(None, "")
        except Exception:
            logger.exception("sandbox request %s %s failed", request.method, route_path(request))
            answer = _error_answer(TossApiError("FAILED_INTERNAL_SYSTEM_PROCESSING"), language)
        if not logged:
            await self._log_apart(request, idempotency_key, answer, trace)
        if trace.fault is not None:
            await self._hold_answer(request, trace.fault)
        if answer.status is None:
            # Held until the sandbox gave up: what a gateway in front of Toss would say.
            answer = _error_answer(TossApiError("COMMON_ERROR"), language)
            return Response(answer.body, status_code=504, media_type="application/json")
        return Response(answer.body, status_code=answer.status, media_type="application/json")

    async def _serve(
        self,
        request: Request,
        operation: Operation,
        language: Language,
        trace: _Trace,
        *,
        secret_key: str | None,
        idempotency_key: str | None,
    ) -> Answer:
        """The call's answer, logged; raises only what is a bug or a database failure."""
        async with self._database.write() as connection:
            state = await read_v1_state(connection, self._clock, self._outbox.default_url)
            trace.now = state.now
            call = V1Call(
                connection,
                language,
                state.now,
                self._outbox.knowing_url(state.webhook_url),
                secret_key,
            )
            fault = None
            if secret_key is not None:
                path = route_path(request)
                candidates = [f for f in state.faults if f.spec.matches(request.method, path)]
                # A fault meets only requests that passed authentication.
                fault = await take_fault_in(connection, candidates) if candidates else None
            answer, scope = await self._admit(call, request, fault, idempotency_key=idempotency_key)
            if answer is None and scope is None and fault is None:
                # Nothing to commit before the work: it shares this transaction.
                answer = await self._execute(call, request, operation, None)
            if answer is not None:
                await self._log_in(
                    connection, request, idempotency_key, answer, state.now, fault, trace.key_set
                )
        trace.fault = fault
        if answer is not None:
            return answer
        try:
            async with self._database.write() as connection:
                call = dataclasses.replace(call, connection=connection)
                answer = await self._execute(call, request, operation, scope)
                await self._log_in(
                    connection, request, idempotency_key, answer, state.now, fault, trace.key_set
                )
        except Exception:
            # Nothing of the work took effect: a retry of the key may execute afresh.
            if scope is not None:
                await idempotency.release(self._database, scope)
            raise
        return answer

    async def _admit(
        self,
        call: V1Call,
        request: Request,
        fault: Fault | None,
        *,
        idempotency_key: str | None,
    ) -> tuple[Answer | None, IdempotencyScope | None]:
        """The answer, when the call gets one without executing; else the idempotency scope
        whose marker it now holds, if it has a key."""
        # `latency` and `drop_after_commit` do the work and hold the answer afterwards.
        if fault is not None:
            if fault.spec.kind is FaultKind.ERROR:
                return _fault_error(fault, call.language), None
            if fault.spec.kind is FaultKind.TIMEOUT:
                return Answer(None, ""), None
        try:
            if call.secret_key is None:
                return None, None
            self._raise_requested_test_error(request, call.secret_key)
            if idempotency_key is None:
                return None, None
            scope = IdempotencyScope.of(
                idempotency_key,
                # Toss's scope holds the API key: the widget's key is another scope.
                secret_key=call.secret_key,
                path=route_path(request),
                method=request.method,
            )
            stored = await idempotency.claim_in(call.connection, scope, call.now)
        except TossApiError as error:
            return _error_answer(error, call.language), None
        if stored is not None:
            return Answer(stored.status, stored.body, replayed=True), None
        return None, scope

    @staticmethod
    async def _execute(
        call: V1Call, request: Request, operation: Operation, scope: IdempotencyScope | None
    ) -> Answer:
        try:
            answer = Answer(200, json_text(await operation(request, call)))
        except TossApiError as error:
            answer = _error_answer(error, call.language)
        if scope is not None:
            assert answer.status is not None
            await idempotency.complete_in(
                call.connection, scope, StoredResponse(answer.status, answer.body)
            )
        return answer

    async def _hold_answer(self, request: Request, fault: Fault) -> None:
        """Keep the answer back as the fault says, the work being done already."""
        if fault.spec.kind is FaultKind.LATENCY:
            seconds: float | None = (fault.spec.latency_ms or 0) / 1000
        elif fault.spec.kind in HANGING:
            seconds = None
        else:
            return
        if await self._hangs.hold(request, seconds):
            logger.info(
                "client hung up on %s %s while a %s fault held the answer back",
                request.method,
                route_path(request),
                fault.spec.kind,
            )

    @staticmethod
    def _raise_requested_test_error(request: Request, secret_key: str) -> None:
        # Toss's test environment answers the named error after authentication and before
        # looking at anything else; live keys ignore the header (toss-api.md §1).
        code = request.headers.get("tosspayments-test-code", "").strip()
        if code and not secret_key.startswith("live_"):
            raise TossApiError(code)

    @staticmethod
    async def _log_in(
        connection: AsyncConnection,
        request: Request,
        idempotency_key: str | None,
        answer: Answer,
        now: datetime,
        fault: Fault | None,
        key_set: str | None,
    ) -> None:
        await request_log.record_in(
            connection,
            request_log.LoggedRequest(
                method=request.method,
                path=route_path(request),
                idempotency_key=idempotency_key,
                status=answer.status,
                replayed=answer.replayed,
                fault=None if fault is None else fault.spec.kind,
                key_set=key_set,
                at=now,
            ),
        )

    async def _log_apart(
        self, request: Request, idempotency_key: str | None, answer: Answer, trace: _Trace
    ) -> None:
        """Log a call that ended before or outside its transaction (its authentication
        failed, its client hung up, or it failed)."""
        try:
            async with self._database.write() as connection:
                now = trace.now or await self._clock.now_in(connection)
                await self._log_in(
                    connection, request, idempotency_key, answer, now, trace.fault, trace.key_set
                )
        except Exception:
            # The answer must still reach the caller: the call may already have moved money.
            logger.exception("sandbox could not log %s %s", request.method, route_path(request))
