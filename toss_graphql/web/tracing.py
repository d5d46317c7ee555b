"""The HTTP side of tracing: OpenTelemetry's ASGI middleware, with this service's defaults."""

from __future__ import annotations

import os
from typing import Any

from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS,
    get_custom_headers,
    parse_excluded_urls,
)
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

# Probes and scrapes come every few seconds and say nothing a trace would need.
UNTRACED_BY_DEFAULT = "/healthz,/readyz,/metrics"
# Never written into a span, even when OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* asks for
# every header: bearer tokens, and the webhook's signature.
ALWAYS_REDACTED = ("authorization", "proxy-authorization", "cookie", "tosspayments-webhook-.*")


def tracing_middleware(provider: TracerProvider) -> Middleware:
    """One server span per HTTP request or WebSocket connection, continuing the caller's
    trace (W3C `traceparent`). OTEL_PYTHON_ASGI_EXCLUDED_URLS (or OTEL_PYTHON_EXCLUDED_URLS),
    empty to trace everything, replaces the probes left out by default."""
    excluded = os.environ.get(
        "OTEL_PYTHON_ASGI_EXCLUDED_URLS",
        os.environ.get("OTEL_PYTHON_EXCLUDED_URLS", UNTRACED_BY_DEFAULT),
    )
    options: dict[str, Any] = {
        "tracer_provider": provider,
        "excluded_urls": parse_excluded_urls(excluded),
        # A span for every ASGI message sent or received would outnumber the work.
        "exclude_spans": ["receive", "send"],
        "http_capture_headers_sanitize_fields": [
            *ALWAYS_REDACTED,
            *get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS),
        ],
    }
    return Middleware(QueryStringOutOfSpans, **options)


# Where the query string waits while the tracing middleware reads the request.
_QUERY_STRING = "toss_graphql.query_string"


class QueryStringOutOfSpans:
    """OpenTelemetry's ASGI middleware, shown the request without its query string: a GET's
    variables and the success page's `paymentKey` stay out of `http.url` and `http.target`
    (and `url.query`); the app still gets the whole request."""

    def __init__(self, app: ASGIApp, /, **options: Any) -> None:
        self._traced = OpenTelemetryMiddleware(_restore_query_string(app), **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope.get("query_string"):
            await self._traced(scope, receive, send)
            return
        hidden = {**scope, "query_string": b"", _QUERY_STRING: scope["query_string"]}
        await self._traced(hidden, receive, send)


def _restore_query_string(app: ASGIApp) -> ASGIApp:
    async def restored(scope: Scope, receive: Receive, send: Send) -> None:
        if _QUERY_STRING in scope:
            scope = {**scope, "query_string": scope[_QUERY_STRING]}
            del scope[_QUERY_STRING]
        await app(scope, receive, send)

    return restored
