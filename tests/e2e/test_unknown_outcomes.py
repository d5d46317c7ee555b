"""Replies lost after Toss acted, and processes killed before the commit: the books end equal
to Toss's record, with no second charge or refund. Real processes over loopback throughout."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import (
    CANCEL,
    CONFIRM,
    cancel,
    checkout,
    confirm,
    create_order,
    graphql,
    order_status,
    paid_order,
    toss_payment,
)
from tests.support.outages import CONFIRM_PATH, lose_replies, reconcile
from tests.support.servers import ServerProcess, free_port
from toss_graphql.config import SANDBOX_SECRET_KEY
from toss_graphql.domain.models import Role

pytestmark = pytest.mark.e2e

CANCEL_PATH = "/v1/payments/{paymentKey}/cancel"
ONE_SECOND = {"TOSS_TIMEOUT_SECONDS": "1"}
# The settings of the module's `served_api` (tests/e2e/conftest.py).
SERVE_SETTINGS = ONE_SECOND
RECONCILING = {"RECONCILE_INTERVAL_SECONDS": "0.2", "RECONCILE_MIN_AGE_SECONDS": "0"}


async def wait_for(
    api: httpx.AsyncClient, token: str, order_id: str, status: str, seconds: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        shown = await order_status(api, token, order_id)
        if shown["status"] == status or time.monotonic() > deadline:
            return shown
        await asyncio.sleep(0.2)


async def test_lost_confirm_reply_is_pending_then_reconciled_paid(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    clean_database: str,
    tmp_path: Path,
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(reset_sandbox, order)
    await lose_replies(reset_sandbox, CONFIRM_PATH)

    payload = await confirm(served_client, alice, redirect)
    assert [e["code"] for e in payload["errors"]] == ["PAYMENT_PENDING"]
    assert payload["order"]["status"] == "CONFIRMING", "never failed on a guess"
    assert (await toss_payment(reset_sandbox, order["orderId"]))["status"] == "DONE"

    run = reconcile(clean_database, sandbox_server.url, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{order['orderId']}: settled" in run.stdout
    assert "examined 1: settled 1" in run.stdout

    shown = await order_status(served_client, alice, order["orderId"])
    assert shown["status"] == "PAID"
    assert shown["payment"]["paymentKey"] == redirect["paymentKey"]


async def test_lost_cancel_reply_is_reconciled_and_never_refunded_twice(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    clean_database: str,
    tmp_path: Path,
) -> None:
    alice = token_for("alice")
    order = await paid_order(served_client, reset_sandbox, alice, {"lines": [{"sku": "beans-1kg"}]})
    await lose_replies(reset_sandbox, CANCEL_PATH)
    ask = {
        "buyer": "alice",
        "orderName": "원두 1kg",
        "reason": "파손",
        "amount": 12000,
        "idempotencyKey": "refund-lost",
    }
    payload = await cancel(served_client, alice, ask)
    assert [e["code"] for e in payload["errors"]] == ["PAYMENT_PENDING"]
    assert (await toss_payment(reset_sandbox, order["orderId"]))["balanceAmount"] == 20000

    run = reconcile(clean_database, sandbox_server.url, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr

    again = await cancel(served_client, alice, ask)
    assert again["errors"] == []
    assert again["cancel"]["cancelAmount"] == 12000
    assert again["order"]["status"] == "PARTIALLY_CANCELED"
    assert again["order"]["payment"]["balanceAmount"] == 20000
    at_toss = await toss_payment(reset_sandbox, order["orderId"])
    assert [c["cancelAmount"] for c in at_toss["cancels"]] == [12000]


async def test_repeating_a_pending_cancel_with_its_key_settles_it_once(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient
) -> None:
    alice = token_for("alice")
    order = await paid_order(served_client, reset_sandbox, alice, {"lines": [{"sku": "beans-1kg"}]})
    await lose_replies(reset_sandbox, CANCEL_PATH)
    ask = {"buyer": "alice", "orderName": "원두 1kg", "reason": "파손", "idempotencyKey": "k-9"}
    pending = await cancel(served_client, alice, ask)
    assert [e["code"] for e in pending["errors"]] == ["PAYMENT_PENDING"]

    repeated = await cancel(served_client, alice, ask)
    assert repeated["errors"] == [], repeated
    assert repeated["order"]["status"] == "CANCELED"
    at_toss = await toss_payment(reset_sandbox, order["orderId"])
    assert (at_toss["status"], len(at_toss["cancels"])) == ("CANCELED", 1)


def _kill(server: ServerProcess) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)


async def _wait_at_toss(sandbox: httpx.AsyncClient, order_id: str, status: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = await sandbox.get(
            f"/v1/payments/orders/{order_id}", auth=(SANDBOX_SECRET_KEY, "")
        )
        if response.status_code == 200 and response.json()["status"] == status:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"Toss never showed {status}")


async def test_process_killed_after_toss_approved_is_settled_paid_after_restart(
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    clean_database: str,
    tmp_path: Path,
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    port = free_port()
    slow = {"TOSS_TIMEOUT_SECONDS": "30"}
    with serve_api(
        tmp_path, clean_database, sandbox_server.url, "doomed", port=port, settings=slow
    ) as doomed:
        async with httpx.AsyncClient(base_url=doomed.url, timeout=60) as http:
            order = await create_order(http, alice, {"lines": [{"sku": "americano"}]})
            redirect = await checkout(reset_sandbox, order)
            await lose_replies(reset_sandbox, CONFIRM_PATH, attempts=1)
            variables = {
                "paymentKey": redirect["paymentKey"],
                "orderId": order["orderId"],
                "amount": order["amount"],
            }
            in_flight = asyncio.create_task(
                http.post(
                    "/graphql",
                    json={"query": CONFIRM, "variables": variables},
                    headers={"Authorization": f"Bearer {alice}"},
                )
            )
            await _wait_at_toss(reset_sandbox, order["orderId"], "DONE")
            _kill(doomed)  # Toss approved; this process never commits
            with pytest.raises(httpx.TransportError):
                await in_flight

    with serve_api(
        tmp_path, clean_database, sandbox_server.url, "restarted", port=port, settings=RECONCILING
    ) as restarted:
        async with httpx.AsyncClient(base_url=restarted.url, timeout=30) as http:
            shown = await wait_for(http, alice, order["orderId"], "PAID")
    assert shown["status"] == "PAID"
    assert shown["payment"]["paymentKey"] == redirect["paymentKey"]


async def test_process_killed_after_toss_canceled_is_settled_after_restart(
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    clean_database: str,
    tmp_path: Path,
) -> None:
    await seed_catalog(clean_database)
    alice, admin = token_for("alice"), token_for("ops", Role.ADMIN)
    port = free_port()
    # The lock the killed process held lapses after 3 attempts x (1 s + 1 s) + 5 s.
    with serve_api(
        tmp_path, clean_database, sandbox_server.url, "doomed", port=port, settings=ONE_SECOND
    ) as doomed:
        async with httpx.AsyncClient(base_url=doomed.url, timeout=60) as http:
            order = await paid_order(
                http,
                reset_sandbox,
                admin,
                {"orderName": "정기 구독", "amount": 10000, "buyer": "alice"},
            )
            await lose_replies(reset_sandbox, CANCEL_PATH)
            variables = {"buyer": "alice", "orderName": "정기 구독", "reason": "해지"}
            in_flight = asyncio.create_task(
                http.post(
                    "/graphql",
                    json={"query": CANCEL, "variables": variables},
                    headers={"Authorization": f"Bearer {alice}"},
                )
            )
            await _wait_at_toss(reset_sandbox, order["orderId"], "CANCELED")
            _kill(doomed)
            with pytest.raises(httpx.TransportError):
                await in_flight

    with serve_api(
        tmp_path,
        clean_database,
        sandbox_server.url,
        "restarted",
        port=port,
        settings={**RECONCILING, **ONE_SECOND},
    ) as restarted:
        async with httpx.AsyncClient(base_url=restarted.url, timeout=30) as http:
            shown = await wait_for(http, alice, order["orderId"], "CANCELED", seconds=30)
            cancels = await graphql(
                http,
                "query($o: ID!) { order(orderId: $o) { cancels { cancelAmount } } }",
                {"o": order["orderId"]},
                alice,
            )
    assert shown["status"] == "CANCELED"
    assert shown["payment"] is None
    assert cancels["data"]["order"]["cancels"] == [{"cancelAmount": 10000}]
