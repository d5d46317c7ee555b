"""What every /v1 call goes through, in Toss's order: authentication, then any fault a test
switched on, the test-code header, the idempotency key, the operation itself; then the
request log, and last any hold a fault puts on the answer.

Whatever happens, the caller gets Toss's JSON error shape, never an HTML traceback. A client
that hangs up is not an error: Toss finishes what it was asked regardless, and so does the
sandbox, which notes the hang-up in one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from toss_sandbox import idempotency, request_log
from toss_sandbox.auth import authenticate
from toss_sandbox.clock import SandboxClock
from toss_sandbox.config import SandboxConfig
from toss_sandbox.database import Database
from toss_sandbox.errors import TossApiError
from toss_sandbox.faults import HANGING, Fault, FaultKind, list_faults, take_fault
from toss_sandbox.hangs import Hangs
from toss_sandbox.i18n import Language, language_of
from toss_sandbox.idempotency import IdempotencyScope, StoredResponse
from toss_sandbox.outbox import json_text
from toss_sandbox.urls import route_path

logger = logging.getLogger(__name__)

Operation = Callable[[Request, Language, datetime], Awaitable[Any]]
"""Returns the JSON content of a 200 answer as of the given time, or raises TossApiError."""

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Answer:
    # None: the sandbox answered nothing (a `timeout` fault).
    status: int | None
    body: str
    replayed: bool = False


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
        self, config: SandboxConfig, database: Database, clock: SandboxClock, hangs: Hangs
    ) -> None:
        self._config = config
        self._database = database
        self._clock = clock
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
        now: datetime | None = None
        fault: Fault | None = None
        try:
            now, candidates = await self._now_and_faults(request, authenticated=authenticated)
            if authenticated:
                authenticate(request.headers.get("authorization"), self._config.secret_key)
            # The whole body (kept for the operation) before a fault is used up or any work
            # starts: a client gone halfway through is met here, where nothing is done yet.
            await request.body()
            # A fault meets only requests that passed authentication.
            fault = await take_fault(self._database, candidates) if candidates else None
            answer = await self._answer(
                request,
                operation,
                language,
                now,
                fault,
                authenticated=authenticated,
                idempotency_key=idempotency_key,
            )
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
        fault_kind = None if fault is None else fault.spec.kind
        await self._log(request, idempotency_key, answer, fault_kind, now)
        if fault is not None:
            await self._hold_answer(request, fault)
        if answer.status is None:
            # Held until the sandbox gave up: what a gateway in front of Toss would say.
            answer = _error_answer(TossApiError("COMMON_ERROR"), language)
            return Response(answer.body, status_code=504, media_type="application/json")
        return Response(answer.body, status_code=answer.status, media_type="application/json")

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

    async def _now_and_faults(
        self, request: Request, *, authenticated: bool
    ) -> tuple[datetime, list[Fault]]:
        """The sandbox's time, and the faults this request may meet, read together."""
        path = route_path(request)
        async with self._database.read() as connection:
            now = await self._clock.now_in(connection)
            if not authenticated:
                return now, []
            in_force = await list_faults(connection)
        return now, [fault for fault in in_force if fault.spec.matches(request.method, path)]

    async def _answer(
        self,
        request: Request,
        operation: Operation,
        language: Language,
        now: datetime,
        fault: Fault | None,
        *,
        authenticated: bool,
        idempotency_key: str | None,
    ) -> Answer:
        # `latency` and `drop_after_commit` do the work here and hold the answer afterwards.
        if fault is not None:
            if fault.spec.kind is FaultKind.ERROR:
                return _fault_error(fault, language)
            if fault.spec.kind is FaultKind.TIMEOUT:
                return Answer(None, "")
        if authenticated:
            self._raise_requested_test_error(request)
        if idempotency_key is None:
            return await self._execute(request, operation, language, now)
        scope = IdempotencyScope.of(
            idempotency_key,
            secret_key=self._config.secret_key,
            path=route_path(request),
            method=request.method,
        )
        stored = await idempotency.claim(self._database, scope, now)
        if stored is not None:
            return Answer(stored.status, stored.body, replayed=True)
        try:
            answer = await self._execute(request, operation, language, now)
        except Exception:
            await idempotency.release(self._database, scope)
            raise
        assert answer.status is not None
        await idempotency.complete(
            self._database, scope, StoredResponse(answer.status, answer.body)
        )
        return answer

    def _raise_requested_test_error(self, request: Request) -> None:
        # Toss's test environment answers the named error after authentication and before
        # looking at anything else; live keys ignore the header (toss-api.md §1).
        code = request.headers.get("tosspayments-test-code", "").strip()
        if code and not self._config.secret_key.startswith("live_"):
            raise TossApiError(code)

    @staticmethod
    async def _execute(
        request: Request, operation: Operation, language: Language, now: datetime
    ) -> Answer:
        try:
            content = await operation(request, language, now)
        except TossApiError as error:
            return _error_answer(error, language)
        return Answer(200, json_text(content))

    async def _log(
        self,
        request: Request,
        idempotency_key: str | None,
        answer: Answer,
        fault: FaultKind | None,
        now: datetime | None,
    ) -> None:
        entry = request_log.LoggedRequest(
            method=request.method,
            path=route_path(request),
            idempotency_key=idempotency_key,
            status=answer.status,
            replayed=answer.replayed,
            fault=fault,
            at=now or self._config.now(),
        )
        try:
            await request_log.record(self._database, entry)
        except Exception:
            # The answer must still reach the caller: the call may already have moved money.
            logger.exception("sandbox could not log %s %s", request.method, entry.path)
