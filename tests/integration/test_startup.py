"""Start-up against databases in every state: fresh SQLite, unmigrated PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import settings_for
from tests.support.postgres import temporary_database_in_loop
from tests.support.servers import ServerProcess
from toss_graphql.app import SchemaBehindError, create_app


async def test_embedded_sqlite_migrates_itself_at_start(
    tmp_path: Path, sandbox_server: ServerProcess
) -> None:
    settings = settings_for(
        f"sqlite+aiosqlite:///{tmp_path}/fresh.db", sandbox_server.url, tmp_path
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


@pytest.mark.usefixtures("postgres_url")
async def test_service_refuses_an_unmigrated_postgresql(
    tmp_path: Path, sandbox_server: ServerProcess
) -> None:
    async with temporary_database_in_loop() as empty:
        app = create_app(settings_for(empty, sandbox_server.url, tmp_path))
        with pytest.raises(SchemaBehindError, match="toss-graphql migrate"):
            async with app.router.lifespan_context(app):
                pass


def test_production_refuses_to_run_without_a_toss_secret_key(tmp_path: Path) -> None:
    from toss_graphql.config import Settings

    settings = Settings(
        app_env="production", auth_jwt_secret="x" * 40, toss_graphql_var_dir=tmp_path
    )
    with pytest.raises(RuntimeError, match="TOSS_SECRET_KEY"):
        create_app(settings)
