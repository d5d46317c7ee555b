"""`orderUpdated` over graphql-transport-ws against a real `serve` process, on both databases:
the order as it is, then each committed change, whoever made it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.conftest import token_for
from tests.support.flows import (
    cancel,
    checkout,
    confirm,
    create_order,
    paid_order,
)
from tests.support.outages import CONFIRM_PATH, lose_replies, reconcile
from tests.support.servers import ServerProcess
from tests.support.subscriptions import statuses, ws_session

pytestmark = pytest.mark.e2e

SERVE_SETTINGS = {"TOSS_TIMEOUT_SECONDS": "1"}


async def slow_confirms(sandbox: httpx.AsyncClient, milliseconds: int = 1500) -> None:
    """Toss takes its time to approve: CONFIRMING lasts long enough to be seen."""
    fault = {"method": "POST", "path": CONFIRM_PATH, "kind": "latency", "latencyMs": milliseconds}
    (await sandbox.post("/admin/faults", json=[fault])).raise_for_status()


async def test_a_checkout_is_seen_pending_then_confirming_then_paid(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    async with ws_session(served_api.url, alice) as session:
        await session.follow("1", order["orderId"])
        first = await session.orders("1", until=lambda _: True)
        assert statuses(first) == ["PENDING"]
        assert first[0]["payment"] is None

        await slow_confirms(reset_sandbox)
        redirect = await checkout(reset_sandbox, order)
        confirming = asyncio.create_task(confirm(served_client, alice, redirect))
        seen = await session.orders("1", until=lambda o: o["status"] == "PAID")
        assert (await confirming)["errors"] == []

    assert statuses(seen) == ["CONFIRMING", "PAID"]
    assert seen[-1]["payment"] == {"paymentKey": redirect["paymentKey"], "balanceAmount": 4500}


async def test_a_partial_then_a_full_cancel_are_each_seen(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient, served_api: ServerProcess
) -> None:
    alice = token_for("alice")
    order = await paid_order(served_client, reset_sandbox, alice, {"lines": [{"sku": "beans-1kg"}]})
    async with ws_session(served_api.url, alice) as session:
        await session.follow("beans", order["orderId"])
        now = await session.orders("beans", until=lambda _: True)
        assert statuses(now) == ["PAID"]

        ask = {"buyer": "alice", "orderName": order["orderName"], "reason": "파손"}
        assert (await cancel(served_client, alice, {**ask, "amount": 12000}))["errors"] == []
        partial = await session.orders("beans", until=lambda o: o["status"] != "PAID")
        assert (await cancel(served_client, alice, ask))["errors"] == []
        full = await session.orders("beans", until=lambda o: o["status"] == "CANCELED")

    assert statuses(partial) == ["PARTIALLY_CANCELED"]
    assert partial[-1]["payment"]["balanceAmount"] == 20000
    assert partial[-1]["cancels"] == [{"cancelAmount": 12000}]
    assert statuses(full) == ["CANCELED"]
    assert full[-1]["payment"] is None
    assert full[-1]["cancels"] == [{"cancelAmount": 12000}, {"cancelAmount": 20000}]


async def test_a_lost_reply_settled_by_the_reconciler_from_a_shell_is_seen_paid(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    served_api: ServerProcess,
    sandbox_server: ServerProcess,
    clean_database: str,
    tmp_path: Path,
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(reset_sandbox, order)
    await lose_replies(reset_sandbox, CONFIRM_PATH)
    async with ws_session(served_api.url, alice) as session:
        await session.follow("1", order["orderId"])
        assert statuses(await session.orders("1", until=lambda _: True)) == ["PENDING"]

        payload = await confirm(served_client, alice, redirect)
        assert [e["code"] for e in payload["errors"]] == ["PAYMENT_PENDING"]
        waiting = await session.orders("1", until=lambda o: o["status"] == "CONFIRMING")
        # Another process, started from a shell, settles it: the change still arrives.
        run = reconcile(clean_database, sandbox_server.url, tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr
        settled = await session.orders("1", until=lambda o: o["status"] == "PAID")

    assert statuses(waiting) == ["CONFIRMING"]
    assert statuses(settled) == ["PAID"]
    assert settled[-1]["payment"]["paymentKey"] == redirect["paymentKey"]
