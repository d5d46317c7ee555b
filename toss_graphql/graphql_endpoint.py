"""`/graphql`: the Strawberry endpoint, with the caller read once and every refusal as JSON."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult

from .auth import InvalidToken, TokenVerifier, session_from_header
from .domain import untrusted_json
from .domain.models import Principal
from .schema.context import Context
from .schema.schema import FAST, ExecutionChoices, PaymentsSchema, build_schema
from .schema.trusted_documents import (
    TrustedDocuments,
    UntrustedDocument,
    document_to_run,
    persisted_query_hash,
)
from .web import MutationRateLimiter, RequestRateLimiter
from .web.going_away import GoingAway, ending_when_going_away, is_multipart_subscription
from .web.graphiql import graphiql_page
from .web.graphql_over_http import (
    ALLOWED_FOR_MUTATIONS,
    CodedHTTPException,
    answer_media_type,
    graphql_http_error,
    status_of,
    unsupported_body,
)
from .web.graphql_ws import GraphQLTransportWS, SocketRules
from .web.media_types import GRAPHQL_RESPONSE, JSON
from .web.open_sockets import OpenSockets, SocketTally
from .web.rate_limit import DEFAULT_IPV6_PREFIX
from .web.subscription_budget import SubscriptionBudget

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent the request, read from its bearer token once, before anything else runs."""

    principal: Principal | None
    auth_problem: str | None
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class TrustedDocumentsSource:
    """TRUSTED_DOCUMENTS_FILE and TRUSTED_DOCUMENTS_ONLY (docs/http.md)."""

    path: Path
    only: bool


@dataclass(frozen=True, slots=True)
class SubscriptionRules:
    """Subscriptions' settings (docs/realtime.md); None where they are turned off."""

    per_connection: int
    per_subject: int
    init_timeout_seconds: float
    keepalive_seconds: float
    send_timeout_seconds: float
    allowed_origins: tuple[str, ...]
    # Open WebSockets per token subject and per client address bucket, in one process.
    connections_per_subject: int = 10
    connections_per_address: int = 100
    ipv6_prefix: int = DEFAULT_IPV6_PREFIX


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = GraphQLTransportWS

    def __init__(
        self,
        tokens: TokenVerifier,
        mutation_limiter: MutationRateLimiter,
        request_limiter: RequestRateLimiter,
        *,
        production: bool,
        subscriptions: SubscriptionRules | None,
        trusted_documents: TrustedDocumentsSource | None = None,
        going_away: GoingAway | None = None,
        choices: ExecutionChoices = FAST,
    ) -> None:
        # In production neither GraphiQL nor introspection is served.
        schema = build_schema(
            production=production, subscriptions=subscriptions is not None, choices=choices
        )
        super().__init__(
            schema,
            graphql_ide=None if production else "graphiql",
            subscription_protocols=(
                (GRAPHQL_TRANSPORT_WS_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL)
                if subscriptions
                else ()
            ),
            connection_init_wait_timeout=timedelta(
                seconds=subscriptions.init_timeout_seconds if subscriptions else 10
            ),
            max_subscriptions_per_connection=subscriptions.per_connection if subscriptions else 0,
            allowed_origins=subscriptions.allowed_origins if subscriptions else (),
        )
        self.trusted = (
            TrustedDocuments.load(
                trusted_documents.path, schema._schema, only=trusted_documents.only
            )
            if trusted_documents
            else None
        )
        if self.trusted is not None and isinstance(schema, PaymentsSchema):
            schema.prepared_documents = self.trusted.prepared
        self._tokens = tokens
        self._going_away = going_away
        self._mutation_limiter = mutation_limiter
        self._request_limiter = request_limiter
        self._subscription_budget = (
            SubscriptionBudget(subscriptions.per_subject) if subscriptions else None
        )
        self.sockets = OpenSockets(
            SocketTally(subscriptions.connections_per_subject if subscriptions else 1),
            SocketTally(subscriptions.connections_per_address if subscriptions else 1),
            subscriptions.ipv6_prefix if subscriptions else DEFAULT_IPV6_PREFIX,
        )
        self.rules = SocketRules(
            keepalive_seconds=subscriptions.keepalive_seconds if subscriptions else 0,
            send_timeout_seconds=subscriptions.send_timeout_seconds if subscriptions else 0,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._serve_websocket(WebSocket(scope, receive, send))
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await self._answer(request)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        streams = self._get_stream_transport_from_headers(request.headers) is not None
        media_type = answer_media_type(request, streams)
        caller = self._caller(request)
        address = request.client.host if request.client else None
        wait = await self._request_limiter.check(address, anonymous=caller.principal is None)
        if wait is not None:
            log.info("request rate limited", extra={"address": address})
            return graphql_http_error(
                429,
                f"too many requests; retry in {wait} seconds",
                {"Retry-After": str(wait)},
                media_type or JSON,
            )
        if media_type is None:
            log.info("request refused", extra={"status": 406})
            message = f"answers are {GRAPHQL_RESPONSE} or {JSON}: accept one of them"
            return graphql_http_error(406, message)
        if (problem := unsupported_body(request)) is not None:
            log.info("request refused", extra={"status": 415})
            return graphql_http_error(415, problem, media_type=media_type)
        request.state.caller = caller
        request.state.media_type = media_type
        try:
            return await self.run(request)
        except HTTPException as error:
            # Every refusal in GraphQL's error shape, as JSON: a client parses one format.
            log.info("request refused", extra={"status": error.status_code})
            headers = ALLOWED_FOR_MUTATIONS if error.status_code == 405 else None
            code = error.code if isinstance(error, CodedHTTPException) else None
            return graphql_http_error(error.status_code, error.reason, headers, media_type, code)

    async def _serve_websocket(self, websocket: WebSocket) -> None:
        """Refused before the handshake (HTTP 403) when subscriptions are off or the address
        is over its request budget; every upgrade counts as one request, and every operation
        sent on the socket one more (web/graphql_ws.py)."""
        address = websocket.client.host if websocket.client else None
        if self._subscription_budget is None:
            await websocket.close(code=1008)
            return
        caller = self._caller(websocket)
        if await self._request_limiter.check(address, anonymous=caller.principal is None):
            log.info("request rate limited", extra={"address": address})
            await websocket.close(code=1008)
            return
        websocket.state.caller = caller
        await self.run(websocket)

    async def operation_wait(self, context: Context) -> int | None:
        """Each operation sent over a WebSocket is a request of the address's budget."""
        client = context.request.client
        return await self._request_limiter.check(client.host if client else None, anonymous=False)

    def _caller(self, request: Request | WebSocket) -> Caller:
        return self._caller_from(request.headers.get("authorization"))

    def _caller_from(self, authorization: str | None) -> Caller:
        try:
            session = session_from_header(self._tokens, authorization)
        except InvalidToken as error:
            return Caller(None, str(error))
        if session is None:
            return Caller(None, None)
        return Caller(session[0], None, session[1])

    def authenticate_connection(self, context: Context, params: Mapping[str, object]) -> str | None:
        """The token of `connection_init`'s payload (`{"Authorization": "Bearer …"}`, any
        case) wins over the upgrade's header; a connection is admitted only with a valid one."""
        sent = next(
            (value for key, value in params.items() if key.lower() == "authorization"), None
        )
        if sent is not None:
            caller = self._caller_from(sent if isinstance(sent, str) else "")
            context.principal, context.auth_problem = caller.principal, caller.auth_problem
            context.expires_at = caller.expires_at
        if context.principal is not None:
            return None
        return context.auth_problem or "a valid bearer token is required"

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET naming a trusted document by id is a query, not a visit.
        documented = request.query_params.get("documentId") is not None
        return not documented and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        # The GraphiQL built into the package (web/graphiql.py), not Strawberry's CDN page.
        return graphiql_page()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        caller: Caller = request.state.caller
        if isinstance(response, Response):
            # Where process_result sets the status and create_response finds the media type.
            response.media_type = request.state.media_type
            request.state.sub_response = response
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            services=request.app.state.services,
            principal=caller.principal,
            rate_limiter=self._mutation_limiter,
            auth_problem=caller.auth_problem,
            order_changes=getattr(request.app.state, "order_changes", None),
            subscriptions=self._subscription_budget,
            expires_at=caller.expires_at,
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        answer = await super().process_result(request, result)
        sub_response: Response | None = getattr(request.state, "sub_response", None)
        if sub_response is None or sub_response.media_type is None:
            return answer
        status = status_of(sub_response.media_type, result)
        if status is not None:
            # Nothing was executed, or nothing was answered: no `data` (GraphQL over HTTP).
            sub_response.status_code = status
            answer.pop("data", None)
            if status == 401:
                sub_response.headers["WWW-Authenticate"] = "Bearer"
        return answer

    async def create_streaming_response(
        self,
        request: Request | WebSocket,
        stream: Callable[[], AsyncIterator[str]],
        sub_response: Response,
        headers: Mapping[str, str],
    ) -> Response:
        if self._going_away is not None and is_multipart_subscription(
            headers.get("Content-Type", "")
        ):
            stream = ending_when_going_away(stream, self._going_away, self.encode_json_string)
        return await super().create_streaming_response(request, stream, sub_response, headers)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = sub_response.media_type or JSON
        return response

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)
        if not isinstance(data, GraphQLRequestData):
            return data
        # Strawberry checks the other parameters' types; operationName too, or it is a 500.
        if not isinstance(data.operation_name, str | None):
            raise HTTPException(
                400, "The GraphQL operation's `operationName` must be a string or null."
            )
        if self.trusted is not None:
            document_id = await self._document_id(request, data)
            try:
                data.query = document_to_run(self.trusted, data.query, document_id)
            except UntrustedDocument as refused:
                raise CodedHTTPException(400, refused.message, refused.code) from None
        return data

    async def _document_id(self, request: Any, data: GraphQLRequestData) -> str | None:
        """`documentId` (GraphQL over HTTP), or Apollo's persisted query hash."""
        if request.method == "GET":
            named = request.query_params.get("documentId")
        else:
            body = self.decode_json(await request.get_body())
            named = body.get("documentId") if isinstance(body, dict) else None
        if named is not None and not isinstance(named, str):
            raise HTTPException(400, "The GraphQL request's `documentId` must be a string.")
        return named or persisted_query_hash(data.extensions)

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
