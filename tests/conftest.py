"""Shared fixtures: the databases the suite runs on, a real sandbox over loopback, the API.

Every test that takes `database_url` runs once on a SQLite file and once on PostgreSQL
(`--db sqlite|postgresql|all`). Without a reachable PostgreSQL the PostgreSQL half is skipped
locally and fails under CI=true.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from tests.support.postgres import required_temporary_database
from tests.support.servers import ServerProcess, free_port, start_sandbox
from toss_graphql.app import create_app
from toss_graphql.auth import issue_token
from toss_graphql.config import SANDBOX_SECRET_KEY, Settings
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.migrate import upgrade_to_head
from toss_graphql.db.tables import Base
from toss_graphql.domain.models import Role

JWT_SECRET = "test-jwt-secret-with-enough-length-for-hs256"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql", "all"),
        default="all",
        help="which databases the database tests run on",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under pytest-xdist (`make test`) the controlling process collects no test, so it loads
    no conftest below this one; the contract's summary of its targets is written there, from
    the workers' reports, so it is loaded there by name."""
    plugins = session.config.pluginmanager
    if plugins.has_plugin("dsession"):
        contract = importlib.import_module("tests.contract.conftest")
        if not plugins.is_registered(contract):  # unless pytest was given tests/contract
            plugins.register(contract, contract.__name__)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_kind" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db")
        kinds = ["sqlite", "postgresql"] if chosen == "all" else [chosen]
        if metafunc.definition.get_closest_marker("sqlite_only"):
            kinds = [kind for kind in kinds if kind == "sqlite"]
        if metafunc.definition.get_closest_marker("postgresql_only"):
            kinds = [kind for kind in kinds if kind == "postgresql"]
        metafunc.parametrize("database_kind", kinds, scope="session")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with required_temporary_database() as url:
        yield url


@pytest.fixture(scope="session")
def database_url(
    database_kind: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> str:
    """A migrated database, one per kind for the whole session."""
    if database_kind == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "toss-graphql.db"
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
async def migrated_database(database_url: str) -> str:
    engine = create_database_engine(database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return database_url


@pytest.fixture
async def clean_database(migrated_database: str) -> str:
    """The session's database with every row removed before the test."""
    engine = create_async_engine(migrated_database)
    try:
        async with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(delete(table))
    finally:
        await engine.dispose()
    return migrated_database


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The Toss emulator as its own process, reached over loopback HTTP like Toss itself."""
    directory = tmp_path_factory.mktemp("sandbox")
    with start_sandbox(directory, free_port()) as server:
        yield server


def settings_for(database_url: str, toss_api_url: str, var_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        toss_api_url=toss_api_url,
        toss_secret_key=SANDBOX_SECRET_KEY,
        auth_jwt_secret=JWT_SECRET,
        toss_graphql_var_dir=var_dir,
        # Tests in this process settle explicitly; the background reconciler stays off.
        reconcile_interval_seconds=0,
    )


@pytest.fixture
def settings(clean_database: str, sandbox_server: ServerProcess, tmp_path: Path) -> Settings:
    return settings_for(clean_database, sandbox_server.url, tmp_path)


@pytest.fixture
async def api_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The API's app in this process, started (its lifespan entered) for the test."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def api(api_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The API in this process (ASGI transport), its gateway talking to the sandbox process."""
    transport = httpx.ASGITransport(app=api_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


@pytest.fixture
async def api_url(api_app: Starlette) -> AsyncIterator[str]:
    """The same app served by uvicorn on a loopback port, for what the ASGI transport cannot
    carry: a WebSocket, a response that streams."""
    config = uvicorn.Config(
        api_app,
        host="127.0.0.1",
        port=free_port(),
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
async def sandbox_client(sandbox_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox_server.url) as client:
        yield client


def token_for(buyer: str, role: Role = Role.BUYER) -> str:
    return issue_token(JWT_SECRET, buyer, role)
