"""10 concurrent partial cancels of one order through two API processes: never more than was
paid, and the books equal Toss's."""

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
from tests.support.flows import CANCEL, paid_order, toss_payment
from tests.support.servers import ServerProcess
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.tables import CancelRow, PaymentRow
from toss_graphql.domain.models import Role

pytestmark = pytest.mark.e2e

CANCELS = 10
EACH = 1500  # 10 x 1500 > 10000: the burst asks for more than was paid


@pytest.fixture
def two_apis(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with (
        serve_api(tmp_path, clean_database, sandbox_server.url, "api-1") as first,
        serve_api(tmp_path, clean_database, sandbox_server.url, "api-2") as second,
    ):
        yield first, second


async def _books(database_url: str, order_id: str) -> tuple[int, int | None]:
    engine = create_database_engine(database_url)
    try:
        async with engine.connect() as connection:
            canceled = await connection.scalar(
                select(func.coalesce(func.sum(CancelRow.cancel_amount), 0)).where(
                    CancelRow.order_id == order_id
                )
            )
            balance = await connection.scalar(
                select(PaymentRow.balance_amount).where(PaymentRow.order_id == order_id)
            )
    finally:
        await engine.dispose()
    return int(canceled or 0), balance


async def test_concurrent_partial_cancels_never_exceed_the_paid_amount(
    two_apis: tuple[ServerProcess, ServerProcess],
    sandbox_client: httpx.AsyncClient,
    clean_database: str,
) -> None:
    await seed_catalog(clean_database)
    alice, admin = token_for("alice"), token_for("ops", Role.ADMIN)
    clients = [httpx.AsyncClient(base_url=api.url, timeout=120) for api in two_apis]
    try:
        order = await paid_order(
            clients[0],
            sandbox_client,
            admin,
            {"orderName": "묶음 상품", "amount": 10000, "buyer": "alice"},
        )
        variables = {
            "buyer": "alice",
            "orderName": "묶음 상품",
            "reason": "부분 반품",
            "amount": EACH,
        }
        responses = await asyncio.gather(
            *(
                clients[index % 2].post(
                    "/graphql",
                    json={"query": CANCEL, "variables": variables},
                    headers={"Authorization": f"Bearer {alice}"},
                )
                for index in range(CANCELS)
            )
        )
    finally:
        for client in clients:
            await client.aclose()

    payloads = [response.json()["data"]["cancelPayment"] for response in responses]
    succeeded = [p for p in payloads if not p["errors"]]
    refused = [p["errors"][0]["code"] for p in payloads if p["errors"]]
    # 6 x 1500 = 9000 fits in 10000; the 7th would exceed the balance.
    assert len(succeeded) == 6, payloads
    assert set(refused) == {"CANCEL_AMOUNT_EXCEEDED"}, refused

    at_toss = await toss_payment(sandbox_client, order["orderId"])
    canceled, balance = await _books(clean_database, order["orderId"])
    assert canceled == sum(c["cancelAmount"] for c in at_toss["cancels"]) == 9000
    assert balance == at_toss["balanceAmount"] == 1000
