"""SIGTERM, as a rolling deploy sends it: a confirm in flight completes within the grace, or is
left CONFIRMING for the reconciler, never half-written; the process exits 0."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import checkout, confirm, create_order, order_status, toss_payment
from tests.support.outages import CONFIRM_PATH, reconcile
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.e2e


async def slow_toss(sandbox: httpx.AsyncClient, milliseconds: int) -> None:
    """Toss approves at once and answers `milliseconds` later."""
    fault = {"method": "POST", "path": CONFIRM_PATH, "kind": "latency", "latencyMs": milliseconds}
    (await sandbox.post("/admin/faults", json=[fault])).raise_for_status()


async def stop_during_a_confirm(
    server: ServerProcess, sandbox: httpx.AsyncClient, token: str
) -> tuple[dict[str, str], dict[str, object] | Exception, int]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        order = await create_order(api, token, {"lines": [{"sku": "americano"}]})
        redirect = await checkout(sandbox, order)
        confirming = asyncio.create_task(confirm(api, token, redirect))
        await asyncio.sleep(0.5)  # the confirm is waiting on Toss
        server.process.send_signal(signal.SIGTERM)
        try:
            answer: dict[str, object] | Exception = await confirming
        except AssertionError as refused:  # `confirm` refuses to read a 5xx as an answer
            answer = refused
    exit_code = await asyncio.to_thread(server.process.wait, 30)
    return redirect, answer, exit_code


async def test_a_confirm_in_flight_finishes_within_the_grace_and_the_process_exits_0(
    clean_database: str,
    sandbox_server: ServerProcess,
    reset_sandbox: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    await slow_toss(reset_sandbox, 2000)
    settings = {"SHUTDOWN_GRACE_SECONDS": "20"}
    with serve_api(tmp_path, clean_database, sandbox_server.url, settings=settings) as server:
        _, answer, exit_code = await stop_during_a_confirm(server, reset_sandbox, alice)
        async with httpx.AsyncClient(timeout=2) as late:
            with pytest.raises(httpx.ConnectError):  # no new request is taken
                await late.get(f"{server.url}/healthz")
    assert isinstance(answer, dict), answer
    assert answer["errors"] == []
    order = answer["order"]
    assert isinstance(order, dict) and order["status"] == "PAID"
    assert exit_code == 0
    assert "Traceback" not in server.log()


async def test_a_confirm_cut_by_the_grace_is_left_confirming_and_settled_by_the_reconciler(
    clean_database: str,
    sandbox_server: ServerProcess,
    reset_sandbox: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    await slow_toss(reset_sandbox, 4000)
    settings = {"SHUTDOWN_GRACE_SECONDS": "1"}
    with serve_api(tmp_path, clean_database, sandbox_server.url, settings=settings) as server:
        redirect, answer, exit_code = await stop_during_a_confirm(server, reset_sandbox, alice)
    # Told to retry: a 503 in GraphQL's error shape, not an internal error.
    assert isinstance(answer, AssertionError)
    assert "SERVICE_UNAVAILABLE" in str(answer), answer
    assert exit_code == 0
    assert (await toss_payment(reset_sandbox, redirect["orderId"]))["status"] == "DONE"

    run = reconcile(clean_database, sandbox_server.url, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    with serve_api(tmp_path, clean_database, sandbox_server.url, "after") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            shown = await order_status(api, alice, redirect["orderId"])
    assert shown["status"] == "PAID"
    assert shown["payment"]["paymentKey"] == redirect["paymentKey"]
    assert "examined 1: settled 1" in run.stdout, "it was left CONFIRMING, not half-written"
