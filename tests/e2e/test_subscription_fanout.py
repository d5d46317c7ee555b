"""A change reaches a subscriber on any worker of any instance: two `serve` processes, one of
them with two workers, on one database; and on PostgreSQL, a listener killed mid-change."""

from __future__ import annotations

import signal
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import kill_change_listeners, seed_catalog
from tests.support.flows import cancel, checkout, confirm, create_order
from tests.support.servers import ServerProcess
from tests.support.subscriptions import Session, statuses, ws_session
from tests.support.waiting import eventually
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.postgres_notifications import APPLICATION_NAME

pytestmark = pytest.mark.e2e


LISTENERS = (
    "SELECT pid FROM pg_stat_activity "
    "WHERE application_name = :name AND datname = current_database()"
)


async def listener_pids(connection: AsyncConnection) -> list[int]:
    """The order-change listeners' sessions, as this connection's transaction sees them."""
    found = await connection.scalars(text(LISTENERS), {"name": APPLICATION_NAME})
    return list(found)


async def listener_pids_now(engine: AsyncEngine) -> list[int]:
    """The same, in a transaction of its own: PostgreSQL keeps one view of its sessions for a
    transaction's length."""
    async with engine.connect() as connection:
        return await listener_pids(connection)


async def test_changes_made_on_one_instance_reach_subscribers_on_every_worker_of_another(
    clean_database: str,
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    tmp_path: Path,
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    with (
        serve_api(tmp_path, clean_database, sandbox_server.url, "two-workers", workers=2) as a,
        serve_api(tmp_path, clean_database, sandbox_server.url, "one-worker") as b,
    ):
        async with (
            httpx.AsyncClient(base_url=a.url, timeout=30) as api_a,
            httpx.AsyncClient(base_url=b.url, timeout=30) as api_b,
            AsyncExitStack() as sockets,
        ):
            order = await create_order(api_a, alice, {"lines": [{"sku": "beans-1kg"}]})
            # Several connections to the two-worker instance: the kernel spreads them over
            # both workers. One more on the other instance.
            sessions: list[Session] = [
                await sockets.enter_async_context(ws_session(server.url, alice))
                for server in (a, a, a, a, b)
            ]
            for session in sessions:
                await session.follow("1", order["orderId"])
                assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]

            # Confirmed through B, partly canceled through A.
            payload = await confirm(api_b, alice, await checkout(reset_sandbox, order))
            assert payload["errors"] == []
            ask = {"buyer": "alice", "orderName": order["orderName"], "reason": "파손"}
            paid = [await s.orders("1", until=lambda o: o["status"] == "PAID") for s in sessions]
            assert (await cancel(api_a, alice, {**ask, "amount": 12000}))["errors"] == []
            partial = [
                await s.orders("1", until=lambda o: o["status"] == "PARTIALLY_CANCELED")
                for s in sessions
            ]

    for seen in paid:
        assert statuses(seen)[-1] == "PAID"
        assert set(statuses(seen)) <= {"CONFIRMING", "PAID"}
    assert all(seen[-1]["payment"]["balanceAmount"] == 20000 for seen in partial)
    assert "Traceback" not in a.log() + b.log()


@pytest.mark.postgresql_only
async def test_a_change_while_the_listener_is_killed_still_reaches_the_subscriber(
    clean_database: str,
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    served_api: ServerProcess,
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    engine = create_database_engine(clean_database)
    try:
        async with ws_session(served_api.url, alice) as session:
            await session.follow("1", order["orderId"])
            assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]

            # The change commits while the listening connection is being torn down.
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "UPDATE orders SET attention = 'checked by hand', updated_at = now() "
                        "WHERE order_id = :order_id"
                    ),
                    {"order_id": order["orderId"]},
                )
                listeners = await listener_pids(connection)
                killed = await kill_change_listeners(connection)

                async def listeners_gone() -> bool:
                    return not set(listeners) & set(await listener_pids_now(engine))

                # The kill has taken effect, the listening session gone, before the commit.
                await eventually(listeners_gone, "the killed listener's session ending")
            assert killed == 1
            seen = await session.orders("1", until=lambda o: o["attention"] is not None)
            assert seen[-1]["attention"] == "checked by hand"

            # Listening again: the next change arrives as any other.
            payload = await confirm(served_client, alice, await checkout(reset_sandbox, order))
            assert payload["errors"] == []
            assert statuses(await session.orders("1", until=lambda o: o["status"] == "PAID"))
    finally:
        await engine.dispose()
    assert "order change listener lost its connection" in served_api.log()


async def test_stopping_an_instance_closes_its_sockets_as_a_restart(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    """A rolling deploy: SIGTERM closes each WebSocket with 1012 (service restart), which
    graphql-ws clients retry, and the process shuts down cleanly (uvicorn then ends by the
    signal it caught)."""
    await seed_catalog(clean_database)
    alice = token_for("alice")
    with serve_api(tmp_path, clean_database, sandbox_server.url, "stopping") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
        async with ws_session(server.url, alice) as session:
            await session.follow("1", order["orderId"])
            assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]
            server.process.send_signal(signal.SIGTERM)
            code, _ = await session.closed()
        server.process.wait(timeout=15)
    assert code == 1012
    assert "Application shutdown complete" in server.log()
    assert "Traceback" not in server.log()
