"""`/graphql`: the Strawberry endpoint, with the caller read once and every refusal as JSON."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError

from .auth import InvalidToken, TokenVerifier, principal_from_header
from .domain import untrusted_json
from .domain.models import Principal
from .schema.context import Context
from .schema.schema import build_schema
from .web import MutationRateLimiter, RequestRateLimiter
from .web.graphiql import graphiql_page

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent the request, read from its bearer token once, before anything else runs."""

    principal: Principal | None
    auth_problem: str | None


# The GraphQL error shape for answers that never reach execution, by HTTP status.
_HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
}


def graphql_http_error(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    code = _HTTP_ERROR_CODES.get(status, "BAD_REQUEST")
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        tokens: TokenVerifier,
        mutation_limiter: MutationRateLimiter,
        request_limiter: RequestRateLimiter,
        *,
        production: bool,
    ) -> None:
        # In production neither GraphiQL nor introspection is served.
        super().__init__(
            build_schema(production=production), graphql_ide=None if production else "graphiql"
        )
        self._tokens = tokens
        self._mutation_limiter = mutation_limiter
        self._request_limiter = request_limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        caller = self._caller(request)
        address = request.client.host if request.client else None
        wait = self._request_limiter.check(address, anonymous=caller.principal is None)
        if wait is not None:
            log.info("request rate limited", extra={"address": address})
            response = graphql_http_error(
                429, f"too many requests; retry in {wait} seconds", {"Retry-After": str(wait)}
            )
        else:
            request.state.caller = caller
            try:
                response = await self.run(request)
            except HTTPException as error:
                # Every refusal in GraphQL's error shape, as JSON: a client parses one format.
                log.info("request refused", extra={"status": error.status_code})
                response = graphql_http_error(error.status_code, error.reason)
        await response(scope, receive, send)

    def _caller(self, request: Request) -> Caller:
        try:
            principal = principal_from_header(self._tokens, request.headers.get("authorization"))
        except InvalidToken as error:
            return Caller(None, str(error))
        return Caller(principal, None)

    async def render_graphql_ide(self, request: Request) -> Response:
        # The GraphiQL built into the package (web/graphiql.py), not Strawberry's CDN page.
        return graphiql_page()

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        caller: Caller = request.state.caller
        return Context(
            request=request,
            response=response,
            services=request.app.state.services,
            principal=caller.principal,
            rate_limiter=self._mutation_limiter,
            auth_problem=caller.auth_problem,
        )

    def decode_json(self, data: str | bytes) -> object:
        # A body that is not UTF-8, nests too deep, or is JSON but not an object (or a batch
        # list, which is refused later) is a malformed request: 400, never a 500 from deeper.
        try:
            decoded = untrusted_json.loads(data)
        except untrusted_json.UntrustedJsonError as error:
            raise HTTPException(400, f"Unable to parse request body as JSON: {error}") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object")
        return decoded

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed, not 400.
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, error.reason) from error
            raise
