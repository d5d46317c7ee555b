"""Spans for the engine's SQL statements, from OpenTelemetry's SQLAlchemy instrumentation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def traced_statements(engine: AsyncEngine, provider: TracerProvider) -> Iterator[None]:
    """Each statement `engine` runs is a span (its SQL text, never its parameters, which
    carry payment JSON) under the transaction's span, for the block."""
    instrumentor = SQLAlchemyInstrumentor()
    # The instrumentation declares SQLAlchemy below 2.1; the engine events it listens to are
    # the same in 2.1, and tests/integration/test_tracing.py checks the statements' spans.
    instrumentor.instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )
    try:
        yield
    finally:
        instrumentor.uninstrument()
