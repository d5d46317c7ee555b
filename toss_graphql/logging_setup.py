"""The service's log lines: plain text with the record's extra fields as key=value for people
(LOG_FORMAT=text, the default), or one JSON object per line for log shippers (LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import trace

from .request_context import request_id

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
    current = request_id.get()
    if current:
        extras.setdefault("request_id", current)
    # The trace the line was written in, when tracing is on (telemetry.py): a log line leads
    # to its trace, and a trace to its lines.
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        extras.setdefault("trace_id", trace.format_trace_id(span.trace_id))
        extras.setdefault("span_id", trace.format_span_id(span.span_id))
    return extras


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return line


class JsonFormatter(logging.Formatter):
    """One object per line: time (UTC, ISO 8601), level, logger, message, the record's extra
    fields, the request id and the trace and span ids; a traceback, when there is one, as
    `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # default=str: an extra field that is not JSON (a Decimal, an enum) is written as text.
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: Literal["text", "json"] = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for logger_name in QUIETED:
        logging.getLogger(logger_name).setLevel(logging.WARNING)
    # uvicorn hands its own logger to the WebSocket library, whose DEBUG lines trace the wire.
    logging.getLogger("uvicorn.error").addFilter(drop_wire_traces)


# Kept at WARNING, even at DEBUG. SQL parameters carry payment JSON (card data); HTTP traces
# carry headers (the Toss secret key, bearer tokens); WebSocket frame traces carry the
# `connection_init` payload, whose bearer token they cut to its last characters. httpx's
# line per request repeats the gateway's own, which names the call without its query.
QUIETED = (
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiosqlite",
    "asyncpg",
    "httpcore",
    "httpx",
    "hpack",
    "websockets",
)


def drop_wire_traces(record: logging.LogRecord) -> bool:
    """False for the WebSocket library's trace of what crossed the wire ("< %s", "> %s: %s"):
    the handshake's headers and query string, and each frame, `connection_init` and its
    bearer token included."""
    return not (
        record.levelno <= logging.DEBUG
        and isinstance(record.msg, str)
        and record.msg.startswith(("< ", "> "))
    )
