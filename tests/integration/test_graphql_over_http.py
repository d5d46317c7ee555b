"""GraphQL over HTTP, as the community's conformance suite checks it: graphql-http's server
audits (tests/http_audit, installed by `make test`), run by Node against the API served on a
loopback port. Every MUST and every SHOULD passes; docs/http.md lists the MAYs."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

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
