"""Clients hanging up on the sandbox: during a `latency` fault, which must leave Toss's work
done and only the reply lost, and halfway through sending a body. Against a real sandbox
process over loopback, so a hang-up is a real closed connection and the log is the process's
own output."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.servers import ServerProcess, free_port, start_sandbox

from .driver import CONFIRM_PATH, SandboxDriver, basic_auth, new_order_id

LATENCY_MS = 2_000
# Well inside the latency: the client has hung up long before the reply is due.
CLIENT_READ_TIMEOUT = 0.3
# Long enough for a sandbox that does the work only after the latency to have done it too.
SETTLE_SECONDS = LATENCY_MS / 1000 + 3
HANG_UP_LINE = "hung up"


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[ServerProcess]:
    with start_sandbox(tmp_path, free_port()) as server:
        yield server


@pytest.fixture
async def toss(sandbox_process: ServerProcess) -> AsyncIterator[SandboxDriver]:
    async with httpx.AsyncClient(base_url=sandbox_process.url, timeout=5.0) as client:
        yield SandboxDriver(client)


async def _status_once_settled(toss: SandboxDriver, payment_key: str) -> str:
    """The payment's status once it is DONE, or as it stands after `SETTLE_SECONDS`."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        status: str = (await toss.get(f"/v1/payments/{payment_key}")).json()["status"]
        if status == "DONE" or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.1)


async def _logged_confirm(toss: SandboxDriver) -> dict[str, Any]:
    """The request log's one confirm, waiting for it: the sandbox records it just after the
    work (or the hang-up line), in a transaction of its own."""
    async with asyncio.timeout(SETTLE_SECONDS):
        while True:
            logged = await toss.logged_requests(path=CONFIRM_PATH)
            if logged:
                [entry] = logged
                return entry
            await asyncio.sleep(0.1)


async def _hang_up_halfway_through_the_body(base_url: str, path: str) -> None:
    url = httpx.URL(base_url)
    assert url.port is not None
    partial_body = b'{"paymentKey": "tgen_'
    _, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {url.host}:{url.port}\r\n"
        f"Authorization: {basic_auth()}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(partial_body) * 10}\r\n\r\n".encode()
        + partial_body
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def _log_once_hang_up_is_told(server: ServerProcess) -> str:
    """The process's log once it mentions the hang-up, or as it stands after a while."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        log = server.log()
        if HANG_UP_LINE in log or time.monotonic() > deadline:
            return log
        await asyncio.sleep(0.1)


@pytest.mark.e2e
async def test_latency_confirms_even_when_the_client_hangs_up_before_the_reply(
    sandbox_process: ServerProcess, toss: SandboxDriver
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.add_faults(
        {"method": "POST", "path": CONFIRM_PATH, "kind": "latency", "latencyMs": LATENCY_MS}
    )

    with pytest.raises(httpx.ReadTimeout):
        await toss.confirm(
            payment_key, order_id, idempotency_key="late-1", read_timeout=CLIENT_READ_TIMEOUT
        )

    assert await _status_once_settled(toss, payment_key) == "DONE"
    logged = await _logged_confirm(toss)
    assert (logged["status"], logged["fault"]) == (200, "latency")
    log = await _log_once_hang_up_is_told(sandbox_process)
    assert "Traceback" not in log, log
    assert "ClientDisconnect" not in log, log
    assert [line for line in log.splitlines() if HANG_UP_LINE in line] == [
        f"INFO:     client hung up on POST {CONFIRM_PATH} while a latency fault held the "
        "answer back"
    ], log
    # The retry a merchant makes after a lost reply gets the success, not a second charge.
    retried = await toss.confirm(payment_key, order_id, idempotency_key="late-1")
    assert (retried.status_code, retried.json()["status"]) == (200, "DONE")
    assert [entry["replayed"] for entry in await toss.logged_requests(path=CONFIRM_PATH)] == [
        False,
        True,
    ]


@pytest.mark.e2e
async def test_a_client_hanging_up_halfway_through_its_body_is_one_log_line(
    sandbox_process: ServerProcess, toss: SandboxDriver
) -> None:
    await _hang_up_halfway_through_the_body(sandbox_process.url, CONFIRM_PATH)

    log = await _log_once_hang_up_is_told(sandbox_process)
    assert "Traceback" not in log, log
    assert "ClientDisconnect" not in log, log
    assert [line for line in log.splitlines() if HANG_UP_LINE in line] == [
        f"INFO:     client hung up on POST {CONFIRM_PATH} before its body arrived"
    ], log
    # Logged as a request nobody was answered, not as a failure the sandbox answered 500.
    logged = await _logged_confirm(toss)
    assert (logged["status"], logged["fault"]) == (None, None)
