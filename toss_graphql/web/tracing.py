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
    return Middleware(OpenTelemetryMiddleware, **options)
