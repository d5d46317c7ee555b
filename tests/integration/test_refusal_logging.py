"""A flood of bad requests neither fills the log nor runs unbounded: a refusal is one INFO line
without a traceback or the document, a bug is still an ERROR with its traceback, and requests
of any kind, anonymous ones most of all, are counted per client address."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import settings_for
from tests.support.flows import ORDER
from tests.support.servers import ServerProcess
from toss_graphql.app import create_app
from toss_graphql.domain import orders

ANONYMOUS_PER_ADDRESS = 3
REQUESTS_PER_ADDRESS = 6
# A document long enough that logging it whole would be obvious.
LONG_UNKNOWN_FIELD = "{ orders { edges { node { " + "orderId " * 40 + "nope } } } }"


@pytest.fixture
async def limited_api(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(clean_database, sandbox_server.url, tmp_path).model_copy(
        update={
            "rate_limit_anonymous_per_address": ANONYMOUS_PER_ADDRESS,
            "rate_limit_requests_per_address": REQUESTS_PER_ADDRESS,
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


@pytest.mark.parametrize(
    ("document", "authorized"),
    [
        ("{ orders { edges { cursor } } }", False),  # UNAUTHENTICATED
        (LONG_UNKNOWN_FIELD, True),  # fails validation
        ('{ order(orderId: "x") { status } }', False),
        ("query($n: Int) { orders(first: $n) { edges { cursor } } }", True),  # bad variable
    ],
)
async def test_a_refusal_is_one_info_line_without_traceback(
    api: httpx.AsyncClient,
    alice: str,
    caplog: pytest.LogCaptureFixture,
    document: str,
    authorized: bool,
) -> None:
    headers = {"Authorization": f"Bearer {alice}"} if authorized else {}
    caplog.set_level(logging.DEBUG)
    response = await api.post(
        "/graphql", json={"query": document, "variables": {"n": "many"}}, headers=headers
    )
    assert response.json()["errors"]
    logged = [
        record
        for record in caplog.records
        if record.name.startswith(("toss_graphql", "strawberry"))
    ]
    assert [(record.levelno, record.exc_info) for record in logged] == [(logging.INFO, None)]
    assert "orderId orderId" not in logged[0].getMessage() + str(vars(logged[0]))


async def test_a_bug_is_still_an_error_with_its_traceback(
    api: httpx.AsyncClient,
    alice: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a real fault")

    monkeypatch.setattr(orders, "get_order_with_payment", broken)
    monkeypatch.setattr(orders, "get_order", broken)
    await api.post(
        "/graphql",
        json={"query": ORDER, "variables": {"orderId": "ord_abcdefgh"}},
        headers={"Authorization": f"Bearer {alice}"},
    )
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None


async def test_anonymous_requests_from_one_address_are_bounded(
    limited_api: httpx.AsyncClient,
) -> None:
    statuses = []
    for _ in range(ANONYMOUS_PER_ADDRESS + 1):
        response = await limited_api.post("/graphql", json={"query": "{ __typename }"})
        statuses.append(response.status_code)
    assert statuses == [200] * ANONYMOUS_PER_ADDRESS + [429]
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_queries_from_one_address_are_bounded_whoever_asks(
    limited_api: httpx.AsyncClient, alice: str, mallory: str
) -> None:
    statuses = []
    for attempt in range(REQUESTS_PER_ADDRESS + 1):
        token = alice if attempt % 2 else mallory
        response = await limited_api.post(
            "/graphql",
            json={"query": "{ orders { edges { cursor } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)
    assert statuses == [200] * REQUESTS_PER_ADDRESS + [429]
