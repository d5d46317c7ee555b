from __future__ import annotations

import httpx
import pytest

from .conftest import SandboxFactory
from .driver import SandboxDriver, new_order_id


async def test_clock_starts_at_the_configured_clock_with_no_offset(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/admin/clock")

    assert response.status_code == 200
    assert response.json() == {"now": "2025-03-01T12:00:00+09:00", "offsetSeconds": 0}


async def test_moving_the_clock_adds_to_its_offset(toss: SandboxDriver) -> None:
    await toss.advance_clock(90)

    clock = await toss.advance_clock(0.5)

    assert clock == {"now": "2025-03-01T12:01:30.500000+09:00", "offsetSeconds": 90.5}


async def test_moving_the_clock_past_ten_minutes_expires_the_confirm_window(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)

    await toss.advance_clock(10 * 60 + 1)
    late = await toss.confirm(payment_key, order_id)

    assert late.status_code == 404
    assert late.json()["code"] == "NOT_FOUND_PAYMENT_SESSION"
    payment = (await toss.get(f"/v1/payments/{payment_key}")).json()
    assert (payment["status"], payment["failure"]["code"]) == ("EXPIRED", "EXPIRED_PAYMENT")


async def test_every_worker_on_one_database_reads_the_moved_clock(
    make_sandbox: SandboxFactory,
) -> None:
    workers = [await make_sandbox(), await make_sandbox()]
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=workers[0].app)) as first,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=workers[1].app)) as second,
    ):
        await first.post("http://sb.test/admin/clock", json={"advanceSeconds": 3600})
        clock = (await second.get("http://sb.test/admin/clock")).json()

    assert clock == {"now": "2025-03-01T13:00:00+09:00", "offsetSeconds": 3600}


@pytest.mark.parametrize(
    "body",
    [{"advanceSeconds": -1}, {"advanceSeconds": "60"}, {"advanceSeconds": True}, {}, [60]],
)
async def test_the_clock_only_moves_forward_by_a_number_of_seconds(
    client: httpx.AsyncClient, body: object
) -> None:
    response = await client.post("/admin/clock", json=body)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert (await client.get("/admin/clock")).json()["offsetSeconds"] == 0


async def test_reset_clears_faults_clock_and_pending_webhooks_but_keeps_payments(
    hooked: SandboxDriver,
) -> None:
    _, payment_key, _ = await hooked.paid_order()
    await hooked.add_faults({"path": "/v1/*", "kind": "error"})
    await hooked.advance_clock(60)

    response = await hooked.client.post("/admin/reset")

    assert response.status_code == 200
    assert response.json() == {"faultsCleared": 1, "webhooksCleared": 1}
    assert await hooked.faults() == []
    assert await hooked.webhook_deliveries() == []
    assert (await hooked.client.get("/admin/clock")).json()["offsetSeconds"] == 0
    assert (await hooked.get(f"/v1/payments/{payment_key}")).json()["status"] == "DONE"
