"""`GET /`, where uvicorn's start-up line points: a page of working links in development, the
API's JSON 404 in production."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from toss_graphql.app import create_app
from toss_graphql.config import Settings


@pytest.fixture
async def newcomer_api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app as `serve` runs it with no settings: SQLite, the built-in sandbox."""
    settings = Settings(toss_graphql_var_dir=tmp_path, toss_api_url="http://api.test/sandbox")
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test"
        ) as api,
    ):
        yield api


async def test_development_answers_a_page_whose_every_link_works(
    newcomer_api: httpx.AsyncClient,
) -> None:
    home = await newcomer_api.get("/")

    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in home.headers["content-security-policy"]
    links = re.findall(r'href="(/[^"]*)"', home.text)
    assert {"/graphql", "/demo/"} <= set(links)
    assert "built-in Toss sandbox" in home.text
    for link in links:
        opened = await newcomer_api.get(link, headers={"Accept": "text/html"})
        assert opened.status_code == 200, link
        assert opened.headers["content-type"].startswith("text/html"), link


async def test_production_answers_the_apis_json_404(tmp_path: Path) -> None:
    settings = Settings(
        app_env="production",
        toss_graphql_var_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'api.db'}",
        toss_secret_key="test_sk_merchant",
        auth_jwt_secret="a-production-secret-of-enough-length-0123456789",
    )
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as api:
        answer = await api.get("/")

    assert answer.status_code == 404
    assert answer.json() == {
        "errors": [
            {
                "message": "nothing here: the API is at /graphql",
                "extensions": {"code": "NOT_FOUND"},
            }
        ]
    }
    assert answer.headers["x-request-id"]
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
