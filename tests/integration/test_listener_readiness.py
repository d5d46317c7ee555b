"""/readyz and the order change listener: an instance is ready once its feed hears the
database, and never while its listener hears nothing (docs/realtime.md)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import settings_for
from tests.support.pgbouncer import pgbouncer_in_front_of
from tests.support.servers import ServerProcess
from toss_graphql.app import create_app
from toss_graphql.db import postgres_notifications

# A guard against a hang, not a measure of speed.
BUDGET_SECONDS = 30


class Noticed(logging.Handler):
    def __init__(self, words: str) -> None:
        super().__init__(logging.INFO)
        self.words = words
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.seen.set()


@contextmanager
def noticing(logger_name: str, words: str) -> Iterator[Noticed]:
    logger = logging.getLogger(logger_name)
    noticed = Noticed(words)
    level = logger.level
    logger.addHandler(noticed)
    logger.setLevel(logging.INFO)
    try:
        yield noticed
    finally:
        logger.removeHandler(noticed)
        logger.setLevel(level)


async def test_an_instance_whose_feed_hears_is_ready(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    app = create_app(settings_for(clean_database, sandbox_server.url, tmp_path))
    async with app.router.lifespan_context(app):
        assert app.state.order_changes.listening
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


@pytest.mark.postgresql_only
async def test_an_instance_listening_through_a_transaction_pooler_is_never_ready(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    """DATABASE_LISTEN_URL mistakenly at PgBouncer (without DATABASE_PGBOUNCER, so nothing
    refuses it at start): the LISTEN succeeds, no notification arrives, and /readyz says so
    instead of "ready"."""
    with (
        pgbouncer_in_front_of(clean_database) as bounced,
        noticing(postgres_notifications.__name__, "did not hear its own notification") as deaf,
    ):
        settings = settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
            update={"database_listen_url": bounced}
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await asyncio.wait_for(deaf.seen.wait(), BUDGET_SECONDS)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
                ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        503,
        {"status": "unavailable", "order_changes": "not listening"},
    )
