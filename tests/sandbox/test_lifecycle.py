from __future__ import annotations

import sqlite3

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from .conftest import SandboxFactory
from .driver import CONFIRM_PATH, SandboxDriver, checkout_form, new_order_id


async def test_state_survives_a_restart(make_sandbox: SandboxFactory) -> None:
    before = await make_sandbox()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=before.app), base_url="http://sb.test"
    ) as client:
        toss = SandboxDriver(client)
        order_id = new_order_id()
        payment_key = await toss.approve_checkout(order_id)
        confirmed = await toss.confirm(payment_key, order_id, idempotency_key="before-restart")
    await before.close()

    after = await make_sandbox()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=after.app), base_url="http://sb.test"
    ) as client:
        toss = SandboxDriver(client)
        read = await toss.get(f"/v1/payments/{payment_key}")
        replayed = await toss.confirm(payment_key, order_id, idempotency_key="before-restart")
        second = await toss.confirm(payment_key, order_id)

    assert read.json() == confirmed.json()
    assert replayed.content == confirmed.content
    assert second.json()["code"] == "ALREADY_PROCESSED_PAYMENT"


async def test_start_and_close_may_be_called_repeatedly(make_sandbox: SandboxFactory) -> None:
    sandbox = await make_sandbox()
    await sandbox.start()
    await sandbox.close()
    await sandbox.close()
    await sandbox.start()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sb.test"
    ) as client:
        response = await client.get("/admin/requests")

    assert response.status_code == 200


async def test_mounted_under_a_prefix_it_serves_and_links_under_that_prefix(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox = await make_sandbox()
    host = Starlette(routes=[Mount("/sandbox", app=sandbox.app)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=host), base_url="http://api.test"
    ) as client:
        toss = SandboxDriver(client, prefix="/sandbox")
        order_id = new_order_id()
        page = await client.get("/sandbox/checkout", params=checkout_form(order_id))
        payment_key = await toss.approve_checkout(order_id)
        confirmed = await toss.confirm(payment_key, order_id)
        logged = await toss.logged_requests()

    # A relative form action resolves against the page's own URL, prefix included.
    assert 'action="checkout"' in page.text
    assert confirmed.status_code == 200
    assert confirmed.json()["checkout"]["url"] == (
        f"http://api.test/sandbox/v1/payments/{payment_key}/checkout"
    )
    assert [entry["path"] for entry in logged] == [CONFIRM_PATH]


async def test_public_base_url_is_used_for_the_links_it_hands_out(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox = await make_sandbox(public_base_url="https://pay.example/sandbox/")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://internal:8100"
    ) as client:
        _, payment_key, confirmed = await SandboxDriver(client).paid_order()

    payment = confirmed.json()
    assert (
        payment["checkout"]["url"]
        == f"https://pay.example/sandbox/v1/payments/{payment_key}/checkout"
    )
    assert payment["receipt"]["url"] == f"https://pay.example/sandbox/receipt/{payment_key}"


@pytest.mark.sqlite_only
async def test_database_of_an_older_sandbox_is_rebuilt_empty(
    make_sandbox: SandboxFactory,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The first sandbox's payments table: no method, card columns required, no state table.
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE payments (payment_key VARCHAR(200) PRIMARY KEY, "
            "card_number VARCHAR(20) NOT NULL)"
        )
        old.execute("INSERT INTO payments VALUES ('tgen_old', '1234')")
    old.close()

    sandbox = await make_sandbox()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sb.test"
    ) as client:
        toss = SandboxDriver(client)
        old_payment = await toss.get("/v1/payments/tgen_old")
        _, _, confirmed = await toss.paid_order()

    assert "schema version 1" in caplog.text
    assert old_payment.status_code == 404
    assert confirmed.status_code == 200
