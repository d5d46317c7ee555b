"""30 concurrent confirms of one order through `serve --workers 2`: one reaches Toss."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import CONFIRM, checkout, confirm_calls, create_order
from tests.support.servers import ServerProcess
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.tables import OrderRow, PaymentRow

pytestmark = pytest.mark.e2e

CONFIRMS = 30


@pytest.fixture
def two_workers(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> Iterator[ServerProcess]:
    with serve_api(tmp_path, clean_database, sandbox_server.url, workers=2) as server:
        yield server


async def _count(database_url: str, order_id: str) -> tuple[int, str]:
    engine = create_database_engine(database_url)
    try:
        async with engine.connect() as connection:
            payments = await connection.scalar(
                select(func.count()).select_from(PaymentRow).where(PaymentRow.order_id == order_id)
            )
            status = await connection.scalar(
                select(OrderRow.status).where(OrderRow.order_id == order_id)
            )
    finally:
        await engine.dispose()
    return int(payments or 0), str(status)


async def test_concurrent_confirms_reach_toss_once(
    two_workers: ServerProcess,
    sandbox_client: httpx.AsyncClient,
    clean_database: str,
) -> None:
    await seed_catalog(clean_database)
    token = token_for("alice")
    headers = {"Authorization": f"Bearer {token}"}
    # Separate clients, so requests arrive on separate connections and spread over both workers.
    clients = [
        httpx.AsyncClient(base_url=two_workers.url, headers=headers, timeout=60) for _ in range(2)
    ]
    try:
        order = await create_order(clients[0], token, {"lines": [{"sku": "americano"}]})
        redirect = await checkout(sandbox_client, order)
        before = await confirm_calls(sandbox_client)
        variables = {
            "paymentKey": redirect["paymentKey"],
            "orderId": redirect["orderId"],
            "amount": int(redirect["amount"]),
        }
        responses = await asyncio.gather(
            *(
                clients[index % 2].post("/graphql", json={"query": CONFIRM, "variables": variables})
                for index in range(CONFIRMS)
            )
        )
    finally:
        for client in clients:
            await client.aclose()

    payloads = [response.json()["data"]["confirmPayment"] for response in responses]
    outcomes = sorted(
        "success" if not payload["errors"] else payload["errors"][0]["code"] for payload in payloads
    )
    assert set(outcomes) <= {"success", "CONFIRM_IN_PROGRESS"}, outcomes
    assert "success" in outcomes
    assert await confirm_calls(sandbox_client) - before == 1
    assert await _count(clean_database, order["orderId"]) == (1, "PAID")
