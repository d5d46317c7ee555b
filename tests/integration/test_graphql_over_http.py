"""GraphQL over HTTP, as the community's conformance suite checks it: graphql-http's server
audits (tests/http_audit, installed by `make test`), run by Node against the API served on a
loopback port. Every MUST and every SHOULD passes; docs/http.md lists the MAYs."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import settings_for
from tests.support.servers import ServerProcess
from toss_graphql.config import Settings

AUDIT = Path(__file__).resolve().parent.parent / "http_audit"
# The audit sends its 61 requests at once, without a token.
UNLIMITED = 1_000_000


@pytest.fixture
def settings(clean_database: str, sandbox_server: ServerProcess, tmp_path: Path) -> Settings:
    base = settings_for(clean_database, sandbox_server.url, tmp_path)
    return base.model_copy(
        update={
            "rate_limit_requests_per_address": UNLIMITED,
            "rate_limit_anonymous_per_address": UNLIMITED,
        }
    )


async def audit(url: str) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "Node.js runs the audit: install nodejs (make test does)"
    assert (AUDIT / "node_modules" / "graphql-http").is_dir(), "run `make test` to install it"
    process = await asyncio.create_subprocess_exec(
        node,
        str(AUDIT / "audit.mjs"),
        f"{url}/graphql",
        cwd=AUDIT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


def http_doc() -> str:
    return (Path(__file__).resolve().parents[2] / "docs" / "http.md").read_text()


def by_level(results: list[dict[str, Any]], level: str) -> list[dict[str, Any]]:
    return [result for result in results if result["name"].startswith(level)]


async def test_every_must_and_every_should_of_the_audit_passes(api_url: str) -> None:
    results = await audit(api_url)
    musts, shoulds = by_level(results, "MUST"), by_level(results, "SHOULD")

    failed = [result for result in musts + shoulds if result["status"] != "ok"]
    assert failed == []
    assert (len(musts), len(shoulds)) == (13, 23)


async def test_the_mays_are_the_ones_docs_http_md_lists(api_url: str) -> None:
    results = await audit(api_url)
    mays = by_level(results, "MAY")
    documented = http_doc()
    for result in mays:
        assert result["id"] in documented, f"docs/http.md does not list MAY {result['id']}"
        shown = "passes" if result["status"] == "ok" else "not done"
        assert f"`{result['id']}` {shown}" in documented, result


GRJ = "application/graphql-response+json"
ORDER = "query Order($orderId: ID!) { order(orderId: $orderId) { status } }"


async def test_a_failing_document_is_400_in_the_new_type_and_200_in_json(
    api: httpx.AsyncClient,
) -> None:
    for document in ("{", "{ nope }"):
        strict = await api.post("/graphql", json={"query": document}, headers={"Accept": GRJ})
        legacy = await api.post(
            "/graphql", json={"query": document}, headers={"Accept": "application/json"}
        )
        assert (strict.status_code, strict.headers["content-type"]) == (400, GRJ)
        assert "data" not in strict.json() and strict.json()["errors"]
        assert (legacy.status_code, legacy.headers["content-type"]) == (200, "application/json")
        assert legacy.json()["data"] is None and legacy.json()["errors"]


async def test_a_request_without_a_valid_token_is_401_in_the_new_type(
    api: httpx.AsyncClient,
) -> None:
    variables = {"orderId": "ord_0000000000000000"}
    body = {"query": ORDER, "variables": variables}
    for headers in ({"Accept": GRJ}, {"Accept": GRJ, "Authorization": "Bearer nope"}):
        strict = await api.post("/graphql", json=body, headers=headers)
        assert strict.status_code == 401
        assert strict.headers["www-authenticate"] == "Bearer"
        assert "data" not in strict.json()
        assert strict.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    legacy = await api.post("/graphql", json=body)
    assert legacy.status_code == 200
    assert legacy.json()["data"] == {"order": None}


async def test_refusals_before_execution_are_json_errors_in_the_negotiated_type(
    api: httpx.AsyncClient,
) -> None:
    cases = [
        (
            api.post("/graphql", content=b"{ __typename }", headers={"Content-Type": "text/plain"}),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            api.post(
                "/graphql",
                content=b'{"query": "{ __typename }"}',
                headers={"Content-Type": "application/json; charset=latin-1"},
            ),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            api.post(
                "/graphql", content=b"{ not json", headers={"Content-Type": "application/json"}
            ),
            400,
            "BAD_REQUEST",
        ),
        (
            api.post("/graphql", json={"query": "{ __typename }", "operationName": 7}),
            400,
            "BAD_REQUEST",
        ),
        (
            api.get("/graphql", params={"query": "mutation { __typename }"}),
            405,
            "METHOD_NOT_ALLOWED",
        ),
    ]
    for call, status, code in cases:
        response = await call
        assert response.status_code == status, response.text
        assert list(response.json()) == ["errors"]  # no data: nothing was executed
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": code}
        assert error["message"]
        if status == 405:
            assert response.headers["allow"] == "POST"
    strict = await api.post(
        "/graphql",
        content=b"{ not json",
        headers={"Content-Type": "application/json", "Accept": GRJ},
    )
    assert (strict.status_code, strict.headers["content-type"]) == (400, GRJ)


async def test_a_client_that_accepts_neither_type_gets_406(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Accept": "text/plain"}
    )
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"
