"""The admin endpoints' plumbing: JSON bodies in, JSON answers and errors out.

Admin errors use Toss's `{code, message}` shape so one client parses both.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from toss_sandbox.kst import KST
from toss_sandbox.lifecycle.outbox import json_text

Handler = Callable[[Request], Awaitable[Response]]


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(message: str) -> AdminError:
    return AdminError(400, "INVALID_REQUEST", message)


def json_response(content: Any, status: int = 200) -> Response:
    return Response(json_text(content), status_code=status, media_type="application/json")


def error_response(error: AdminError) -> Response:
    return json_response({"code": error.code, "message": error.message}, error.status)


async def json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise invalid("the body must be JSON") from None


def timestamp(moment: datetime | None) -> str | None:
    """An admin timestamp: KST with its offset, to the microsecond."""
    return None if moment is None else moment.astimezone(KST).isoformat()


def seconds(delta: timedelta) -> int | float:
    total = delta.total_seconds()
    return int(total) if total.is_integer() else total
