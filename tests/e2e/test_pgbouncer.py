"""The money paths through PgBouncer 1.18 in transaction mode (DATABASE_PGBOUNCER=true):
concurrent confirms and cancels of two workers, the reconciler from a shell, and live order
status, whose listener reaches PostgreSQL directly (DATABASE_LISTEN_URL)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import (
    cancel,
    checkout,
    confirm,
    confirm_calls,
    create_order,
    order_status,
    paid_order,
    toss_payment,
)
from tests.support.outages import CONFIRM_PATH, lose_replies, reconcile
from tests.support.pgbouncer import pgbouncer_in_front_of
from tests.support.postgres import temporary_database_in_loop
from tests.support.servers import SERVICE_SETTINGS, ServerProcess
from tests.support.subscriptions import statuses, ws_session
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.migrate import is_at_head

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]

ORDERS = 10


@pytest.fixture
def bouncer_url(clean_database: str) -> Iterator[str]:
    with pgbouncer_in_front_of(clean_database) as url:
        yield url


@pytest.fixture
def bounced_api(
    bouncer_url: str, clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> Iterator[ServerProcess]:
    # LISTEN needs a session of its own: the listener goes to PostgreSQL directly.
    settings = {
        "DATABASE_PGBOUNCER": "true",
        "DATABASE_LISTEN_URL": clean_database,
        # A lost reply is given up on soon (test_the_reconciler_…).
        "TOSS_TIMEOUT_SECONDS": "1",
    }
    with serve_api(
        tmp_path, bouncer_url, sandbox_server.url, "bounced", workers=2, settings=settings
    ) as server:
        yield server


async def test_concurrent_confirms_and_cancels_through_pgbouncer_are_exactly_once(
    bounced_api: ServerProcess, reset_sandbox: httpx.AsyncClient, clean_database: str
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    headers = {"Authorization": f"Bearer {alice}"}
    clients = [
        httpx.AsyncClient(base_url=bounced_api.url, headers=headers, timeout=60) for _ in range(4)
    ]
    try:
        orders = [
            await create_order(clients[0], alice, {"lines": [{"sku": "americano"}]})
            for _ in range(ORDERS)
        ]
        redirects = [await checkout(reset_sandbox, order) for order in orders]
        before = await confirm_calls(reset_sandbox)
        # Each checkout confirmed three times at once, all of them together.
        confirms = await asyncio.gather(
            *(confirm(clients[n % 4], alice, redirect) for n, redirect in enumerate(redirects * 3))
        )
        # Each one answered: paid, or already being confirmed by its twin.
        assert {tuple(e["code"] for e in c["errors"]) for c in confirms} <= {
            (),
            ("CONFIRM_IN_PROGRESS",),
        }
        assert await confirm_calls(reset_sandbox) - before == ORDERS
        for order in orders:
            shown = await order_status(clients[0], alice, order["orderId"])
            assert shown["status"] == "PAID"

        # Four partial cancels of one order at once: each refunded once, the balance exact.
        target = orders[0]
        ask = {"buyer": "alice", "orderName": target["orderName"], "orderId": target["orderId"]}
        cancels = await asyncio.gather(
            *(
                cancel(clients[n], alice, {**ask, "reason": f"part {n}", "amount": 1000})
                for n in range(4)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    assert [c["errors"] for c in cancels] == [[]] * 4
    at_toss = await toss_payment(reset_sandbox, target["orderId"])
    assert at_toss["balanceAmount"] == 4500 - 4000
    assert "prepared statement" not in bounced_api.log()
    assert "Traceback" not in bounced_api.log()


async def test_the_reconciler_settles_a_lost_reply_through_pgbouncer(
    bounced_api: ServerProcess,
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    bouncer_url: str,
    clean_database: str,
    tmp_path: Path,
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    async with httpx.AsyncClient(base_url=bounced_api.url, timeout=60) as api:
        order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
        redirect = await checkout(reset_sandbox, order)
        await lose_replies(reset_sandbox, CONFIRM_PATH)
        async with ws_session(bounced_api.url, alice) as session:
            await session.follow("1", order["orderId"])
            assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]
            payload = await confirm(api, alice, redirect)
            assert [e["code"] for e in payload["errors"]] == ["PAYMENT_PENDING"]

            run = reconcile(
                bouncer_url, sandbox_server.url, tmp_path, {"DATABASE_PGBOUNCER": "true"}
            )
            assert run.returncode == 0, run.stdout + run.stderr
            # The subscriber, whose process listens on PostgreSQL directly, sees it settle.
            settled = await session.orders("1", until=lambda o: o["status"] == "PAID")
    assert settled[-1]["payment"]["paymentKey"] == redirect["paymentKey"]
    assert "prepared statement" not in run.stdout + run.stderr


async def test_migrate_runs_through_pgbouncer(tmp_path: Path) -> None:
    """`toss-graphql migrate` on a new database, every migration through the pooler."""
    async with temporary_database_in_loop() as fresh:
        with pgbouncer_in_front_of(fresh) as bounced:
            env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
            env.update(
                DATABASE_URL=bounced,
                DATABASE_PGBOUNCER="true",
                TOSS_GRAPHQL_VAR_DIR=str(tmp_path),
            )
            done = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "toss_graphql.cli", "migrate"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        engine = create_database_engine(fresh)
        try:
            at_head = await is_at_head(engine)
        finally:
            await engine.dispose()
    assert done.returncode == 0, done.stdout + done.stderr
    assert at_head


async def test_a_paid_order_is_read_through_pgbouncer_by_many_at_once(
    bounced_api: ServerProcess, reset_sandbox: httpx.AsyncClient, clean_database: str
) -> None:
    """The read path's statements (asyncpg's own, unnamed) through the pooler, under load."""
    await seed_catalog(clean_database)
    alice = token_for("alice")
    async with httpx.AsyncClient(base_url=bounced_api.url, timeout=60) as api:
        order = await paid_order(api, reset_sandbox, alice, {"lines": [{"sku": "americano"}]})
        shown = await asyncio.gather(
            *(order_status(api, alice, order["orderId"]) for _ in range(200))
        )
    assert {entry["status"] for entry in shown} == {"PAID"}
    assert "Traceback" not in bounced_api.log()
