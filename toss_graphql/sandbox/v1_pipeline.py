"""What every /v1 call goes through, in Toss's order: authentication, the test-code header,
the idempotency key, the operation itself; then the request log.

Whatever happens, the caller gets Toss's JSON error shape, never an HTML traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from toss_graphql.sandbox import idempotency, request_log
from toss_graphql.sandbox.auth import authenticate
from toss_graphql.sandbox.config import SandboxConfig
from toss_graphql.sandbox.database import Database
from toss_graphql.sandbox.errors import TossApiError
from toss_graphql.sandbox.i18n import Language, language_of
from toss_graphql.sandbox.idempotency import IdempotencyScope, StoredResponse
from toss_graphql.sandbox.urls import route_path

logger = logging.getLogger(__name__)

Operation = Callable[[Request, Language], Awaitable[Any]]
"""Returns the JSON content of a 200 answer, or raises TossApiError."""

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str
    replayed: bool = False


def _json_text(content: Any) -> str:
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _error_answer(error: TossApiError, language: Language) -> Answer:
    return Answer(error.http_status, _json_text(error.body(language)))


class V1Pipeline:
    def __init__(self, config: SandboxConfig, database: Database) -> None:
        self._config = config
        self._database = database

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
        try:
            answer = await self._answer(
                request,
                operation,
                language,
                authenticated=authenticated,
                idempotency_key=idempotency_key,
            )
        except Exception:
            logger.exception("sandbox request %s %s failed", request.method, route_path(request))
            answer = _error_answer(TossApiError("FAILED_INTERNAL_SYSTEM_PROCESSING"), language)
        await self._log(request, idempotency_key, answer)
        return Response(answer.body, status_code=answer.status, media_type="application/json")

    async def _answer(
        self,
        request: Request,
        operation: Operation,
        language: Language,
        *,
        authenticated: bool,
        idempotency_key: str | None,
    ) -> Answer:
        try:
            if authenticated:
                authenticate(request.headers.get("authorization"), self._config.secret_key)
                self._raise_requested_test_error(request)
            if idempotency_key is None:
                return await self._execute(request, operation, language)
            scope = IdempotencyScope.of(
                idempotency_key,
                secret_key=self._config.secret_key,
                path=route_path(request),
                method=request.method,
            )
            stored = await idempotency.claim(self._database, scope, self._config.now())
        except TossApiError as error:
            return _error_answer(error, language)
        if stored is not None:
            return Answer(stored.status, stored.body, replayed=True)
        try:
            answer = await self._execute(request, operation, language)
        except Exception:
            await idempotency.release(self._database, scope)
            raise
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
    async def _execute(request: Request, operation: Operation, language: Language) -> Answer:
        try:
            content = await operation(request, language)
        except TossApiError as error:
            return _error_answer(error, language)
        return Answer(200, _json_text(content))

    async def _log(self, request: Request, idempotency_key: str | None, answer: Answer) -> None:
        entry = request_log.LoggedRequest(
            method=request.method,
            path=route_path(request),
            idempotency_key=idempotency_key,
            status=answer.status,
            replayed=answer.replayed,
            at=self._config.now(),
        )
        try:
            await request_log.record(self._database, entry)
        except Exception:
            # The answer must still reach the caller: the call may already have moved money.
            logger.exception("sandbox could not log %s %s", request.method, entry.path)
