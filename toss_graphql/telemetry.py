"""OpenTelemetry tracing: off unless the standard OTEL_* environment asks for it.

Turned on by `OTEL_TRACES_EXPORTER` (`otlp`, `console`, or both, comma-separated) or by an
OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and kept
off by `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. The SDK reads the rest of its
settings itself: `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`,
`OTEL_BSP_*`, the exporter's headers and timeout (docs/operations.md).

Off, `span` is a shared `nullcontext`: nothing is created, nothing is installed, and the
request path pays one global read per span it would have made.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind, Tracer

__all__ = ["Span", "SpanKind", "TracingConfigError"]

DEFAULT_SERVICE_NAME = "toss-graphql"
EXPORTERS = ("otlp", "console")

_tracer: Tracer | None = None
NO_SPAN: AbstractContextManager[None] = nullcontext()


class TracingConfigError(ValueError):
    """An OTEL_* setting this service cannot honour; it refuses to start rather than run
    untraced while the operator believes otherwise."""


def exporter_names(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The span exporters the environment asks for, none when tracing is off; raises
    `TracingConfigError` for one this service cannot run."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [
        name.strip().lower()
        for name in environ.get("OTEL_TRACES_EXPORTER", "").split(",")
        if name.strip()
    ]
    if not names:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        names = ["otlp"] if endpoint else []
    if names == ["none"]:
        return []
    for name in names:
        if name not in EXPORTERS:
            raise TracingConfigError(
                f"OTEL_TRACES_EXPORTER={name!r} is not supported here: use one of {EXPORTERS}"
            )
    protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    if "otlp" in names and protocol != "http/protobuf":
        raise TracingConfigError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r} is not supported here: spans are sent "
            "as http/protobuf (port 4318 of a collector)"
        )
    return names


def provider_from_environment(environ: Mapping[str, str] = os.environ) -> TracerProvider | None:
    """The tracer provider the environment asks for, exporting in batches; None when off.

    `environ` chooses the exporters; the SDK and the exporter read the rest of their settings
    (resource, sampler, batching, endpoint, headers) from the process's environment.
    """
    names = exporter_names(environ)
    if not names:
        return None
    provider = TracerProvider(resource=_resource())
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    return provider


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    # Imported only when asked for: it brings protobuf and requests with it.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _resource() -> Resource:
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win; the SDK's fallback is "unknown_service".
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


def start(provider: TracerProvider) -> None:
    """Spans of this process go to `provider` from now on."""
    global _tracer
    _tracer = provider.get_tracer("toss_graphql")


def stop() -> None:
    global _tracer
    _tracer = None


@contextmanager
def tracing_to(provider: TracerProvider, *, owns: bool) -> Iterator[None]:
    """The service's own spans go to `provider` for the block; what is still batched is sent
    at the end, and a provider the caller made for the block (`owns`) is shut down."""
    start(provider)
    try:
        yield
    finally:
        stop()
        if owns:
            provider.shutdown()
        else:
            provider.force_flush()


def enabled() -> bool:
    return _tracer is not None


def span(
    name: str,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
) -> AbstractContextManager[Span | None]:
    """A span made current for the block, or a no-op yielding None when tracing is off.

    An exception leaving the block is recorded on the span and sets its status to error.
    """
    tracer = _tracer
    if tracer is None:
        return NO_SPAN
    return tracer.start_as_current_span(name, kind=kind, attributes=attributes)


def key_digest(idempotency_key: str) -> str:
    """What a span says of an Idempotency-Key: enough to tie a call's attempts together and
    to find it in Toss's records by hashing a candidate, without carrying the key itself."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
