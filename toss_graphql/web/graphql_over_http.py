"""GraphQL over HTTP's rules for `/graphql` that Strawberry leaves to the server (docs/http.md):
what a request may carry, and the status an answer gets in each media type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from .media_types import GRAPHQL_RESPONSE, JSON, negotiate

# The GraphQL error shape for answers that never reach execution, by HTTP status.
_HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
}


class CodedHTTPException(HTTPException):
    """A refusal before execution with a code of its own for `extensions.code`."""

    def __init__(self, status_code: int, reason: str, code: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


# A mutation sent with GET, or a method /graphql does not serve.
ALLOWED_FOR_MUTATIONS = {"Allow": "POST"}


def graphql_http_error(
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    media_type: str = JSON,
    code: str | None = None,
) -> Response:
    """A refusal in GraphQL's error shape, with no `data`: nothing was executed."""
    code = code or _HTTP_ERROR_CODES.get(status, "BAD_REQUEST")
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
        media_type=media_type,
    )


def answer_media_type(request: Request, streams: bool) -> str | None:
    """The media type of the answer; None when the client accepts none of them. A browser
    asking for the IDE, or a client asking for a streamed subscription, is not refused here:
    those answers have media types of their own."""
    accept = request.headers.get("accept")
    media_type = negotiate(accept)
    if media_type is None and (streams or _wants_a_page(request, accept)):
        return JSON
    return media_type


def _wants_a_page(request: Request, accept: str | None) -> bool:
    return request.method == "GET" and accept is not None and "text/html" in accept


def unsupported_body(request: Request) -> str | None:
    """Why a POST's body cannot be read as a GraphQL request (415), or None. JSON in UTF-8
    only: the specification's one required encoding, and the only one this server reads."""
    if request.method != "POST":
        return None
    content_type = request.headers.get("content-type")
    if content_type is None:
        return "a POST needs Content-Type: application/json"
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type != JSON:
        return f"unsupported Content-Type {media_type!r}: send application/json"
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return f"unsupported charset {value.strip()!r}: send UTF-8"
    return None


def is_request_error(result: ExecutionResult) -> bool:
    """The request never executed: it did not parse or validate, or its variables could not
    be coerced (graphql-core reports those without a path, and without data)."""
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(not error.path for error in errors)


def is_unauthenticated(result: ExecutionResult) -> bool:
    """Nothing was answered, for want of a valid token: every error says so, and every field
    asked for is null."""
    errors: Sequence[GraphQLError] = result.errors or []
    if not errors or not all((e.extensions or {}).get("code") == "UNAUTHENTICATED" for e in errors):
        return False
    data: dict[str, Any] | None = result.data
    return data is None or all(value is None for value in data.values())


def status_of(media_type: str, result: ExecutionResult) -> int | None:
    """The status an executed (or refused) GraphQL request is answered with in the new media
    type, when it is not 200; the legacy type is 200 for every well-formed request."""
    if media_type != GRAPHQL_RESPONSE:
        return None
    if is_request_error(result):
        return 400
    if is_unauthenticated(result):
        return 401
    return None
