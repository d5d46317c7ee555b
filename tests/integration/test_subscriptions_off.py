"""SUBSCRIPTIONS_ENABLED=false: no Subscription type, no WebSocket, and everything else as
before."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.conftest import settings_for, token_for
from tests.support.database import seed_catalog
from tests.support.flows import create_order, graphql
from tests.support.servers import ServerProcess
from tests.support.subscriptions import ORDER_UPDATED, ws_connection
from toss_graphql.config import Settings


@pytest.fixture
def settings(clean_database: str, sandbox_server: ServerProcess, tmp_path: Path) -> Settings:
    on = settings_for(clean_database, sandbox_server.url, tmp_path)
    return on.model_copy(update={"subscriptions_enabled": False})


async def test_the_schema_has_no_subscription_and_a_socket_is_refused(
    api: httpx.AsyncClient, api_url: str, clean_database: str
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    body = await graphql(api, "{ __schema { subscriptionType { name } } }", token=alice)
    assert body["data"]["__schema"]["subscriptionType"] is None

    order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
    refused = await graphql(api, ORDER_UPDATED, {"orderId": order["orderId"]}, alice)
    assert (
        refused["errors"][0]["message"]
        == "The subscription operation is not supported by the schema."
    )

    with pytest.raises(InvalidStatus) as upgrade:
        async with ws_connection(api_url, header_token=alice):
            pass
    assert upgrade.value.response.status_code == 403
