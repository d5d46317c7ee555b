from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from toss_sandbox import Sandbox

from .conftest import SandboxFactory
from .driver import CONFIRM_PATH, SandboxDriver, basic_auth, new_order_id

# A client's read timeout, short so the faults that never answer cost the suite little.
HANG_TIMEOUT = 0.5
CONFIRM = {"method": "POST", "path": CONFIRM_PATH}
CANCEL = {"method": "POST", "path": "/v1/payments/{paymentKey}/cancel"}
LOOKUP = {"method": "GET", "path": "/v1/payments/{paymentKey}"}


async def _status(toss: SandboxDriver, payment_key: str) -> str:
    status: str = (await toss.get(f"/v1/payments/{payment_key}")).json()["status"]
    return status


async def test_latency_answers_normally_but_late(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.add_faults({**CONFIRM, "kind": "latency", "latencyMs": 300})

    started = time.monotonic()
    response = await toss.confirm(payment_key, order_id)
    elapsed = time.monotonic() - started

    assert elapsed >= 0.3
    assert (response.status_code, response.json()["status"]) == (200, "DONE")
    [logged] = await toss.logged_requests(path=CONFIRM_PATH)
    assert (logged["status"], logged["fault"]) == (200, "latency")


async def test_latency_does_the_work_before_it_holds_the_answer(
    sandbox: Sandbox, toss: SandboxDriver
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    # Far longer than the test waits: the answer can only come when the sandbox lets it go.
    await toss.add_faults({**CONFIRM, "kind": "latency", "latencyMs": 60_000})
    confirming = asyncio.create_task(toss.confirm(payment_key, order_id))
    try:
        async with asyncio.timeout(10):
            while True:
                if await _status(toss, payment_key) == "DONE":
                    break
                await asyncio.sleep(0.01)
        held_while_done = not confirming.done()
        await sandbox.close()
        async with asyncio.timeout(2):
            response = await confirming
    finally:
        # A sandbox that holds the work back too would leave the confirm pending for a minute.
        confirming.cancel()

    assert held_while_done
    assert (response.status_code, response.json()["status"]) == (200, "DONE")


async def test_error_answers_the_status_without_doing_the_work(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.add_faults({**CONFIRM, "kind": "error", "status": 503})

    failed = await toss.confirm(payment_key, order_id, idempotency_key="retry-me")

    assert failed.status_code == 503
    assert failed.json() == {
        "code": "COMMON_ERROR",
        "message": "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요.",
    }
    assert await _status(toss, payment_key) == "IN_PROGRESS"
    # Nothing was stored under the key: the retry executes.
    retried = await toss.confirm(payment_key, order_id, idempotency_key="retry-me")
    assert (retried.status_code, retried.json()["status"]) == (200, "DONE")


async def test_error_is_500_failed_internal_system_processing_unless_told_otherwise(
    toss: SandboxDriver,
) -> None:
    await toss.add_faults(
        {**LOOKUP, "kind": "error"}, {**LOOKUP, "kind": "error", "status": 502, "code": "X_Y"}
    )

    default = await toss.get("/v1/payments/tgen_any")
    chosen = await toss.get("/v1/payments/tgen_any", headers={"Accept-Language": "en-US"})

    assert (default.status_code, default.json()["code"]) == (
        500,
        "FAILED_INTERNAL_SYSTEM_PROCESSING",
    )
    assert (chosen.status_code, chosen.json()["code"]) == (502, "X_Y")


async def test_timeout_gives_the_client_a_read_timeout_and_does_no_work(
    toss_over_http: SandboxDriver,
) -> None:
    toss = toss_over_http
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.add_faults({**CONFIRM, "kind": "timeout"})

    with pytest.raises(httpx.ReadTimeout):
        await toss.confirm(payment_key, order_id, read_timeout=HANG_TIMEOUT)

    assert await _status(toss, payment_key) == "IN_PROGRESS"
    [logged] = await toss.logged_requests(path=CONFIRM_PATH)
    assert (logged["status"], logged["fault"]) == (None, "timeout")
    assert (await toss.confirm(payment_key, order_id)).status_code == 200


async def test_drop_after_commit_charges_and_a_retry_with_the_key_replays_the_200(
    toss_over_http: SandboxDriver,
) -> None:
    toss = toss_over_http
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.add_faults({**CONFIRM, "kind": "drop_after_commit"})

    with pytest.raises(httpx.ReadTimeout):
        await toss.confirm(payment_key, order_id, idempotency_key="lost", read_timeout=HANG_TIMEOUT)

    payment = (await toss.get(f"/v1/payments/{payment_key}")).json()
    assert payment["status"] == "DONE"
    retried = await toss.confirm(payment_key, order_id, idempotency_key="lost")
    assert retried.status_code == 200
    assert retried.json() == payment
    assert [
        (entry["status"], entry["replayed"], entry["fault"])
        for entry in await toss.logged_requests(path=CONFIRM_PATH)
    ] == [(200, False, "drop_after_commit"), (200, True, None)]


async def test_drop_after_commit_of_a_cancel_cancels_then_never_answers(
    toss_over_http: SandboxDriver,
) -> None:
    toss = toss_over_http
    _, payment_key, _ = await toss.paid_order()
    await toss.add_faults({**CANCEL, "kind": "drop_after_commit"})

    with pytest.raises(httpx.ReadTimeout):
        await toss.cancel(payment_key, idempotency_key="refund-1", read_timeout=HANG_TIMEOUT)

    assert await _status(toss, payment_key) == "CANCELED"
    retried = await toss.cancel(payment_key, idempotency_key="refund-1")
    assert retried.status_code == 200
    assert len(retried.json()["cancels"]) == 1


async def test_a_fault_applies_its_number_of_times_then_stops(toss: SandboxDriver) -> None:
    await toss.add_faults({**LOOKUP, "kind": "error", "times": 2})

    first = await toss.get("/v1/payments/tgen_any")
    left_after_one = [fault["times"] for fault in await toss.faults()]
    second = await toss.get("/v1/payments/tgen_any")
    left_after_two = await toss.faults()
    third = await toss.get("/v1/payments/tgen_any")

    assert [first.status_code, second.status_code, third.status_code] == [500, 500, 404]
    assert left_after_one == [1]
    assert left_after_two == []


async def test_a_fault_meets_only_its_method_and_path(toss: SandboxDriver) -> None:
    _, payment_key, _ = await toss.paid_order()
    await toss.add_faults(
        {**CANCEL, "kind": "error"},
        {"method": "GET", "path": "/v1/payments/orders/*", "kind": "error"},
    )

    lookup = await toss.get(f"/v1/payments/{payment_key}")
    by_order = await toss.get("/v1/payments/orders/some-order")
    cancel = await toss.cancel(payment_key)

    assert lookup.status_code == 200
    assert by_order.status_code == cancel.status_code == 500
    assert await toss.faults() == []


async def test_a_request_failing_authentication_uses_up_no_fault(toss: SandboxDriver) -> None:
    await toss.add_faults({**CONFIRM, "kind": "error"})

    refused = await toss.confirm(
        "tgen_x", new_order_id(), headers={"Authorization": basic_auth("test_sk_other")}
    )

    assert refused.status_code == 401
    assert [fault["times"] for fault in await toss.faults()] == [1]


async def test_a_fault_reaches_every_worker_and_applies_once(
    make_sandbox: SandboxFactory,
) -> None:
    workers = [await make_sandbox(), await make_sandbox()]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker.app), base_url="http://sb.test")
        for worker in workers
    ]
    try:
        drivers = [SandboxDriver(client) for client in clients]
        await drivers[0].add_faults({**LOOKUP, "kind": "error"})
        responses = await asyncio.gather(
            *(drivers[n % 2].get("/v1/payments/tgen_any") for n in range(10))
        )
    finally:
        for client in clients:
            await client.aclose()

    assert sorted(response.status_code for response in responses) == [404] * 9 + [500]


async def test_a_held_request_is_let_go_when_the_sandbox_closes(
    sandbox: Sandbox, toss: SandboxDriver
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.add_faults({**CONFIRM, "kind": "timeout"})
    held = asyncio.create_task(toss.confirm(payment_key, order_id))
    async with asyncio.timeout(5):
        # Logged before it is held.
        while True:
            if await toss.logged_requests(path=CONFIRM_PATH):
                break
            await asyncio.sleep(0.01)

    await sandbox.close()

    async with asyncio.timeout(2):
        response = await held
    assert response.status_code == 504


async def test_faults_are_listed_and_removed(toss: SandboxDriver) -> None:
    added = await toss.add_faults(
        {**CONFIRM, "kind": "latency", "latencyMs": 50, "times": 3},
        {"path": "/v1/*", "kind": "timeout"},
    )

    listed = await toss.faults()
    one = await toss.client.delete(f"/admin/faults/{added[0]['id']}")
    missing = await toss.client.delete(f"/admin/faults/{added[0]['id']}")
    rest = await toss.client.delete("/admin/faults")

    assert listed == added
    assert listed[0] | {"id": 0} == {
        "id": 0,
        "method": "POST",
        "path": CONFIRM_PATH,
        "kind": "latency",
        "latencyMs": 50,
        "status": None,
        "code": None,
        "times": 3,
    }
    assert (listed[1]["method"], listed[1]["times"]) == (None, 1)
    assert one.json() == {"deleted": 1}
    assert missing.status_code == 404
    assert rest.json() == {"deleted": 1}
    assert await toss.faults() == []


@pytest.mark.parametrize(
    "body",
    [
        {"path": CONFIRM_PATH, "kind": "explode"},
        {"path": "/checkout", "kind": "error"},
        {"path": "/v1/*/cancel", "kind": "error"},
        {"path": CONFIRM_PATH, "kind": "latency"},
        {"path": CONFIRM_PATH, "kind": "latency", "latencyMs": -1},
        {"path": CONFIRM_PATH, "kind": "error", "status": 404},
        {"path": CONFIRM_PATH, "kind": "timeout", "status": 500},
        {"path": CONFIRM_PATH, "kind": "timeout", "times": 0},
        {"path": CONFIRM_PATH, "kind": "timeout", "method": "FETCH"},
        {"path": CONFIRM_PATH, "kind": "latency", "latency_ms": 5},
        [],
        "error",
    ],
)
async def test_a_fault_the_sandbox_cannot_apply_is_refused(toss: SandboxDriver, body: Any) -> None:
    response = await toss.client.post("/admin/faults", json=body)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert await toss.faults() == []
