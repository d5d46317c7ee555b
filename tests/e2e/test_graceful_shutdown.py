"""SIGTERM, as a rolling deploy sends it: a confirm in flight completes within the grace, or is
left CONFIRMING for the reconciler, never half-written; an HTTP multipart subscription is ended
properly at once, as a WebSocket gets 1012; the process exits 0."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import (
    checkout,
    confirm,
    confirm_calls,
    create_order,
    order_status,
    toss_payment,
)
from tests.support.outages import CONFIRM_PATH, reconcile
from tests.support.servers import ServerProcess
from tests.support.subscriptions import MULTIPART_ACCEPT, ORDER_UPDATED

pytestmark = pytest.mark.e2e


async def slow_toss(sandbox: httpx.AsyncClient, milliseconds: int) -> None:
    """Toss approves at once and answers `milliseconds` later."""
    fault = {"method": "POST", "path": CONFIRM_PATH, "kind": "latency", "latencyMs": milliseconds}
    (await sandbox.post("/admin/faults", json=[fault])).raise_for_status()


# Guards against a hang, not measures of speed.
WAIT_BUDGET_SECONDS = 30


async def waiting_for(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_BUDGET_SECONDS
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {WAIT_BUDGET_SECONDS} s")
        await asyncio.sleep(0.02)


async def _more_confirms(sandbox: httpx.AsyncClient, before: int) -> bool:
    return await confirm_calls(sandbox) > before


async def refused_while(url: str, in_flight: asyncio.Task[object]) -> bool:
    """Whether a new connection is refused while `in_flight` still runs: each try is a
    connection of its own, made until the stop closes the listening socket."""
    while not in_flight.done():
        async with httpx.AsyncClient(timeout=2) as late:
            try:
                await late.get(f"{url}/healthz")
            except httpx.ConnectError:
                return not in_flight.done()
        await asyncio.sleep(0.02)
    return False


@dataclass
class Stopped:
    """A `serve` stopped by SIGTERM while a confirm waited on Toss."""

    server: ServerProcess
    redirect: dict[str, str]
    answer: dict[str, object] | AssertionError
    exit_code: int
    # Whether a new connection was refused once the stop had begun.
    refused_new: bool


@pytest.fixture
def stop_during_a_confirm(
    clean_database: str,
    sandbox_server: ServerProcess,
    reset_sandbox: httpx.AsyncClient,
    tmp_path: Path,
) -> Callable[[float, int], Awaitable[Stopped]]:
    async def stop(grace_seconds: float, toss_latency_ms: int) -> Stopped:
        await seed_catalog(clean_database)
        await slow_toss(reset_sandbox, toss_latency_ms)
        settings = {"SHUTDOWN_GRACE_SECONDS": str(grace_seconds)}
        alice = token_for("alice")
        with serve_api(tmp_path, clean_database, sandbox_server.url, settings=settings) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
                order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
                redirect = await checkout(reset_sandbox, order)
                before = await confirm_calls(reset_sandbox)
                confirming = asyncio.create_task(confirm(api, alice, redirect))
                # The sandbox logs the confirm when its work is done, before the latency.
                await waiting_for(lambda: _more_confirms(reset_sandbox, before), "the confirm")
                server.process.send_signal(signal.SIGTERM)
                refused_new = await refused_while(server.url, confirming)
                try:
                    answer: dict[str, object] | AssertionError = await confirming
                except AssertionError as refused:  # `confirm` does not read a 5xx as an answer
                    answer = refused
            exit_code = await asyncio.to_thread(server.process.wait, 30)
        return Stopped(server, redirect, answer, exit_code, refused_new)

    return stop


async def test_a_confirm_in_flight_finishes_within_the_grace_and_the_process_exits_0(
    stop_during_a_confirm: Callable[[float, int], Awaitable[Stopped]],
) -> None:
    stopped = await stop_during_a_confirm(20, 2000)
    assert isinstance(stopped.answer, dict), stopped.answer
    assert stopped.answer["errors"] == []
    order = stopped.answer["order"]
    assert isinstance(order, dict) and order["status"] == "PAID"
    assert stopped.refused_new, "no new request is taken once the stop has begun"
    assert stopped.exit_code == 0
    assert "Traceback" not in stopped.server.log()


async def test_a_confirm_cut_by_the_grace_is_left_confirming_and_settled_by_the_reconciler(
    stop_during_a_confirm: Callable[[float, int], Awaitable[Stopped]],
    clean_database: str,
    sandbox_server: ServerProcess,
    reset_sandbox: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    stopped = await stop_during_a_confirm(1, 4000)
    # Told to retry: a 503 in GraphQL's error shape, not an internal error.
    assert isinstance(stopped.answer, AssertionError)
    assert "SERVICE_UNAVAILABLE" in str(stopped.answer), stopped.answer
    assert stopped.exit_code == 0
    order_id = stopped.redirect["orderId"]
    assert (await toss_payment(reset_sandbox, order_id))["status"] == "DONE"

    run = reconcile(clean_database, sandbox_server.url, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "examined 1: settled 1" in run.stdout, "it was left CONFIRMING, not half-written"
    with serve_api(tmp_path, clean_database, sandbox_server.url, "after") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            shown = await order_status(api, token_for("alice"), order_id)
    assert shown["status"] == "PAID"
    assert shown["payment"]["paymentKey"] == stopped.redirect["paymentKey"]


# A guard against a hang: far below the grace, so a stop that waits the grace out fails.
STREAM_END_BUDGET_SECONDS = 10
LONG_GRACE_SECONDS = 60


def multipart_parts(body: str, boundary: str) -> list[object]:
    """The JSON of each part of a multipart body, heartbeats (`{}`) included."""
    parts = []
    for part in body.split(f"--{boundary}"):
        _, _, content = part.partition("\r\n\r\n")
        if content.strip():
            parts.append(json.loads(content))
    return parts


async def test_sigterm_ends_a_multipart_subscription_properly_and_exits_at_once(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    """docs/operations.md, "Stopping: rolling deploys": the open stream does not hold the stop
    for the grace, and its client is told why it ended, in a well-formed multipart body."""
    await seed_catalog(clean_database)
    alice = token_for("alice")
    settings = {"SHUTDOWN_GRACE_SECONDS": str(LONG_GRACE_SECONDS)}
    with serve_api(tmp_path, clean_database, sandbox_server.url, settings=settings) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            order = await create_order(api, alice, {"lines": [{"sku": "americano"}]})
            body = {"query": ORDER_UPDATED, "variables": {"orderId": order["orderId"]}}
            headers = {"Accept": MULTIPART_ACCEPT, "Authorization": f"Bearer {alice}"}
            async with api.stream("POST", "/graphql", json=body, headers=headers) as response:
                assert response.status_code == 200
                found = re.search(r'boundary="?([^";]+)', response.headers["content-type"])
                assert found, response.headers["content-type"]
                boundary = found.group(1)
                received = ""
                chunks = response.aiter_text()
                # The subscription is open once the order as it is now has arrived.
                while not any(
                    isinstance(part, dict) and part.get("payload")
                    for part in _complete_parts(received, boundary)
                ):
                    received += await anext(chunks)
                server.process.send_signal(signal.SIGTERM)

                async def rest() -> str:
                    return "".join([chunk async for chunk in chunks])

                received += await asyncio.wait_for(rest(), STREAM_END_BUDGET_SECONDS)
        exit_code = await asyncio.to_thread(server.process.wait, STREAM_END_BUDGET_SECONDS)
    assert exit_code == 0
    assert received.endswith(f"\r\n--{boundary}--\r\n"), received[-200:]
    last = multipart_parts(received, boundary)[-1]
    assert last == {
        "payload": None,
        "errors": [
            {
                "message": "the server is going away: subscribe again",
                "extensions": {"code": "SERVICE_UNAVAILABLE"},
            }
        ],
    }
    log = server.log()
    assert "Traceback" not in log, log
    assert "CancelledError" not in log, log
    assert "ERROR" not in log, log


def _complete_parts(received: str, boundary: str) -> list[object]:
    """The parts received whole so far (the last may still be arriving)."""
    parts = []
    for part in received.split(f"--{boundary}"):
        _, _, content = part.partition("\r\n\r\n")
        try:
            parts.append(json.loads(content))
        except ValueError:
            continue
    return parts
