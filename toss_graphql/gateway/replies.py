"""What one HTTP reply from Toss means: the single classification table of the client.

| Reply                                      | Outcome                                   |
|--------------------------------------------|-------------------------------------------|
| 2xx with a JSON object                     | the object, parsed by the caller          |
| 2xx with anything else                     | `GatewayReplyInvalid`, not retried        |
| 409 `IDEMPOTENT_REQUEST_PROCESSING`        | `RetryableFailure`                        |
| 403 `FORBIDDEN_CONSECUTIVE_REQUEST`, retry | `RetryableFailure`                        |
| 429                                        | `RetryableFailure`                        |
| other 4xx with a `{code, message}` body    | `GatewayRejected`                         |
| other 4xx without such a body              | `RetryableFailure`                        |
| 5xx, with or without a Toss code           | `RetryableFailure`, code kept             |
| anything else (1xx, 3xx)                   | `RetryableFailure`                        |

Toss reports every failure of the v1 payment API as 4xx/5xx with `{code, message}`
(toss-api.md §4.1); a 4xx carrying one is Toss saying no, so the request did not take
effect. A 4xx without one came from something in front of Toss (a proxy, a WAF), and a 5xx
means Toss itself does not know how the call ended, so both are technical. A 2xx that cannot
be read is not retried: for confirm and cancel Toss would replay the same first response for
the same Idempotency-Key (toss-api.md §5), and for a read nothing suggests the next one differs.

Toss processes only the first of two requests for one paymentKey within a second and refuses
the other with 403 `FORBIDDEN_CONSECUTIVE_REQUEST` (toss-api.md §2.4, §4.4). On a first
attempt that is a plain no. On a retry the earlier request may be our own attempt, whose
outcome is unknown, so the refusal says nothing about whether the call took effect: it is
retried like any other missing answer rather than reported as a rejection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..domain import untrusted_json
from ..domain.ports.gateway import GatewayRejected, GatewayReplyInvalid

# The first request with this Idempotency-Key is still running; Toss says to call again to get
# its result (toss-api.md §5).
IDEMPOTENT_REQUEST_PROCESSING = "IDEMPOTENT_REQUEST_PROCESSING"
# Another request for the same paymentKey arrived less than a second earlier (toss-api.md §2.4).
FORBIDDEN_CONSECUTIVE_REQUEST = "FORBIDDEN_CONSECUTIVE_REQUEST"


class RetryableFailure(Exception):
    """One attempt got no usable answer; the call may be sent again with the same key.

    Internal to the gateway: once the attempts run out it becomes `GatewayTechnicalError`.
    The message says what happened (a status, a Toss code, an exception class) and nothing
    from the request.
    """


@dataclass(frozen=True, slots=True)
class Reply:
    """A classified reply: `outcome` is the JSON object of a usable 2xx, or what to raise."""

    http_status: int
    toss_code: str | None
    outcome: Mapping[str, Any] | GatewayRejected | GatewayReplyInvalid | RetryableFailure


def classify_reply(response: httpx.Response, *, is_retry: bool) -> Reply:
    """Apply the table in this module's docstring to one response.

    `is_retry` says whether an earlier attempt of the same call was sent.
    """
    status = response.status_code
    body = _decode_json(response.content)

    if response.is_success:
        if not isinstance(body, dict):
            return Reply(status, None, GatewayReplyInvalid(_not_an_object(status, body)))
        return Reply(status, None, body)

    code, message = _toss_error(body)
    if status == httpx.codes.CONFLICT and code == IDEMPOTENT_REQUEST_PROCESSING:
        return Reply(status, code, RetryableFailure(_describe(status, code)))
    if status == httpx.codes.FORBIDDEN and code == FORBIDDEN_CONSECUTIVE_REQUEST and is_retry:
        return Reply(status, code, RetryableFailure(_describe(status, code)))
    if status == httpx.codes.TOO_MANY_REQUESTS:
        return Reply(status, code, RetryableFailure(_describe(status, code)))
    if response.is_client_error and code is not None and message is not None:
        return Reply(status, code, GatewayRejected(code, message, status))
    if response.is_client_error:
        return Reply(status, code, RetryableFailure(f"HTTP {status} without a Toss error body"))
    if response.is_server_error:
        # Toss may have acted before failing, so even a coded 5xx leaves the outcome unknown.
        return Reply(status, code, RetryableFailure(_describe(status, code)))
    return Reply(status, code, RetryableFailure(f"unexpected HTTP {status}"))


# Stands for a body that is not JSON at all (an HTML error page, an empty body), which JSON
# `null` must not be mistaken for.
_NOT_JSON = object()


# Control characters other than whitespace, and lone surrogates: PostgreSQL's text and JSONB
# refuse NUL and unpaired surrogates, and none of them is text a person reads.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _decode_json(content: bytes) -> object:
    try:
        decoded: object = untrusted_json.loads(content)
    except untrusted_json.UntrustedJsonError:
        return _NOT_JSON
    return _scrubbed(decoded)


def _scrubbed(value: object) -> object:
    """The reply with every unstorable character replaced by U+FFFD.

    A payment Toss approved must be recorded even if a display field (a customer name typed
    into a virtual-account form) carries a NUL; refusing the reply would leave money taken
    and the order open. An identifier that carried one no longer matches ours, so the
    reply is then refused by the usual checks on paymentKey and orderId.
    """
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    if isinstance(value, dict):
        return {_UNSTORABLE.sub("\ufffd", key): _scrubbed(item) for key, item in value.items()}
    return value


def _toss_error(body: object) -> tuple[str | None, str | None]:
    """`code` and `message` of a Toss error body; None for whichever is missing or not text."""
    if not isinstance(body, dict):
        return None, None
    code = body.get("code")
    message = body.get("message")
    return (
        code if isinstance(code, str) and code else None,
        message if isinstance(message, str) else None,
    )


def _describe(status: int, code: str | None) -> str:
    return f"HTTP {status} {code}" if code else f"HTTP {status}"


def _not_an_object(status: int, body: object) -> str:
    if body is _NOT_JSON:
        return f"HTTP {status} reply body is not JSON"
    kind = "null" if body is None else type(body).__name__
    return f"HTTP {status} reply body is a JSON {kind}, not an object"
