"""LOG_FORMAT=json: every line `serve` writes is one JSON object, for a log shipper."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import create_order, graphql
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.e2e


async def test_every_line_is_a_json_object_with_the_request_id(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    await seed_catalog(clean_database)
    with serve_api(
        tmp_path, clean_database, sandbox_server.url, "json", settings={"LOG_FORMAT": "json"}
    ) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            order = await create_order(api, token_for("alice"), {"lines": [{"sku": "americano"}]})
            refused = await graphql(api, "{ nope }", token=token_for("alice"))
            assert refused["errors"]
        log = server.log()

    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    created = [e for e in entries if e.get("order_id") == order["orderId"]]
    assert [e["message"] for e in created] == ["order created"]
    assert len(created[0]["request_id"]) == 16
    assert any(e["message"] == "request refused" for e in entries)
    assert any(e["logger"].startswith("uvicorn") for e in entries)
