"""One log format for the service: a plain line with the record's extra fields as key=value."""

from __future__ import annotations

import logging

from .request_context import request_id

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        current = request_id.get()
        if current:
            extras.setdefault("request_id", current)
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return line


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Even at DEBUG: SQL parameters carry payment JSON (card data) and HTTP traces carry
    # headers (the Toss secret key, bearer tokens). Those loggers stay at WARNING.
    for noisy in (
        "sqlalchemy.engine",
        "sqlalchemy.pool",
        "aiosqlite",
        "asyncpg",
        "httpcore",
        "hpack",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
