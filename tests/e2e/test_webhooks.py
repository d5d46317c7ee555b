"""Toss's webhooks, delivered by the sandbox to `POST /webhooks/toss` of a real server: a hint
that is verified against Toss, processed once, and never trusted."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.flows import checkout, confirm, create_order, graphql, order_status
from tests.support.servers import ServerProcess, free_port
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.tables import WebhookInboxRow

pytestmark = pytest.mark.e2e


# The settings of the module's `served_api` (tests/e2e/conftest.py).
SERVE_SETTINGS = {"TOSS_TIMEOUT_SECONDS": "2"}


async def inbox(database_url: str) -> list[dict[str, Any]]:
    engine = create_database_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(WebhookInboxRow.__table__))).mappings().all()
    finally:
        await engine.dispose()
    return [dict(row) for row in rows]


async def eventually(check: Any, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.1)


def status_changed(order_id: str, payment_key: str, status: str, amount: int) -> dict[str, Any]:
    return {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2026-11-22T09:00:00.000000",
        "data": {
            "paymentKey": payment_key,
            "orderId": order_id,
            "status": status,
            "totalAmount": amount,
            "balanceAmount": amount,
        },
    }


async def post_webhook(
    client: httpx.AsyncClient, body: dict[str, Any], transmission_id: str
) -> httpx.Response:
    return await client.post(
        "/webhooks/toss",
        content=json.dumps(body),
        headers={
            "Content-Type": "application/json",
            "tosspayments-webhook-transmission-id": transmission_id,
            "tosspayments-webhook-transmission-retried-count": "0",
        },
    )


async def send_webhooks_to(sandbox: httpx.AsyncClient, url: str) -> None:
    """Points the sandbox's webhooks at `url` (`reset_sandbox` points them nowhere again)."""
    (await sandbox.put("/admin/webhook", json={"url": url})).raise_for_status()


async def test_webhook_arriving_before_the_confirm_reply_ends_in_one_state(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    served_api: ServerProcess,
    clean_database: str,
) -> None:
    await send_webhooks_to(reset_sandbox, f"{served_api.url}/webhooks/toss")
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(reset_sandbox, order)
    faults = [
        {"method": "POST", "path": "/v1/payments/confirm", "kind": "drop_after_commit"},
        {"method": "POST", "path": "/v1/payments/confirm", "kind": "timeout", "times": 2},
    ]
    (await reset_sandbox.post("/admin/faults", json=faults)).raise_for_status()

    # Toss's reply never comes; its webhook does, and settles the order meanwhile.
    payload = await confirm(served_client, alice, redirect)
    assert payload["errors"] == [], payload
    assert payload["order"]["status"] == "PAID"
    assert payload["payment"]["paymentKey"] == redirect["paymentKey"]

    async def processed() -> bool:
        received = await inbox(clean_database)
        return [(row["event_type"], row["status"]) for row in received] == [
            ("PAYMENT_STATUS_CHANGED", "PROCESSED")
        ]

    await eventually(processed)


async def test_duplicated_webhooks_are_processed_once(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient, clean_database: str
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(reset_sandbox, order)
    assert (await confirm(served_client, alice, redirect))["errors"] == []
    body = status_changed(order["orderId"], redirect["paymentKey"], "DONE", order["amount"])

    first = await post_webhook(served_client, body, "whtrans_same")
    second = await post_webhook(served_client, body, "whtrans_same")
    assert (first.status_code, first.json()["duplicate"]) == (200, False)
    assert (second.status_code, second.json()["duplicate"]) == (200, True)

    async def processed() -> bool:
        return [row["status"] for row in await inbox(clean_database)] == ["PROCESSED"]

    await eventually(processed)


async def test_forged_webhook_changes_nothing(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient, clean_database: str
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    forged = status_changed(order["orderId"], "tgen_forged_key", "DONE", 1)
    response = await post_webhook(served_client, forged, "whtrans_forged")
    assert response.status_code == 200

    async def rejected() -> bool:
        return [row["status"] for row in await inbox(clean_database)] == ["REJECTED"]

    await eventually(rejected)
    shown = await order_status(served_client, alice, order["orderId"])
    assert (shown["status"], shown["payment"]) == ("PENDING", None)


async def test_forged_status_for_a_real_payment_changes_nothing(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient, clean_database: str
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(reset_sandbox, order)
    assert (await confirm(served_client, alice, redirect))["errors"] == []
    forged = status_changed(order["orderId"], redirect["paymentKey"], "CANCELED", order["amount"])
    assert (await post_webhook(served_client, forged, "whtrans_cancel_forged")).status_code == 200

    async def processed() -> bool:
        return [row["status"] for row in await inbox(clean_database)] == ["PROCESSED"]

    await eventually(processed)
    shown = await order_status(served_client, alice, order["orderId"])
    assert shown["status"] == "PAID"
    assert shown["payment"]["balanceAmount"] == order["amount"]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"eventType": "NOPE"}'])
async def test_unreadable_webhooks_get_400(served_client: httpx.AsyncClient, body: bytes) -> None:
    response = await served_client.post("/webhooks/toss", content=body)
    assert response.status_code == 400


async def test_sandbox_retries_are_answered_once_the_api_is_back(
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    clean_database: str,
    tmp_path: Path,
    served_client: httpx.AsyncClient,
) -> None:
    later_port = free_port()
    url = f"http://127.0.0.1:{later_port}/webhooks/toss"
    await send_webhooks_to(reset_sandbox, url)
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(reset_sandbox, order)
    assert (await confirm(served_client, alice, redirect))["errors"] == []

    async def first_attempt_failed() -> bool:
        deliveries = (await reset_sandbox.get("/admin/webhooks")).json()["deliveries"]
        return bool(deliveries) and all(d["attempts"] >= 1 for d in deliveries)

    await eventually(first_attempt_failed)
    assert await inbox(clean_database) == []

    with serve_api(tmp_path, clean_database, sandbox_server.url, "back", port=later_port):
        (await reset_sandbox.post("/admin/clock", json={"advanceSeconds": 61})).raise_for_status()
        (await reset_sandbox.post("/admin/webhooks/deliver")).raise_for_status()

        async def answered() -> bool:
            rows = await inbox(clean_database)
            return bool(rows) and all(row["status"] == "PROCESSED" for row in rows)

        await eventually(answered)
        rows = await inbox(clean_database)
    assert {row["retried_count"] for row in rows} == {1}
    assert len(rows) == len({row["transmission_id"] for row in rows})
    shown = await order_status(served_client, alice, order["orderId"])
    assert shown["status"] == "PAID"


async def test_virtual_account_order_waits_then_is_paid_by_the_deposit_webhooks(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    served_api: ServerProcess,
    clean_database: str,
) -> None:
    await send_webhooks_to(reset_sandbox, f"{served_api.url}/webhooks/toss")
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "beans-1kg"}]})
    redirect = await checkout(reset_sandbox, order, method="VIRTUAL_ACCOUNT")
    issued = await graphql(
        served_client,
        "mutation($k: String!, $o: ID!, $a: Int!) { confirmPayment(paymentKey: $k, orderId: $o, "
        "amount: $a) { order { status } payment { approvedAt virtualAccount { accountNumber } } "
        "errors { code } } }",
        {"k": redirect["paymentKey"], "o": order["orderId"], "a": order["amount"]},
        alice,
    )
    payload = issued["data"]["confirmPayment"]
    assert payload["errors"] == []
    assert payload["order"]["status"] == "WAITING_FOR_DEPOSIT"
    assert payload["payment"]["approvedAt"] is None
    assert payload["payment"]["virtualAccount"]["accountNumber"].startswith("X")

    deposit = await reset_sandbox.post(f"/admin/virtual-accounts/{redirect['paymentKey']}/deposit")
    assert deposit.status_code == 200

    async def paid() -> bool:
        shown = await order_status(served_client, alice, order["orderId"])
        return bool(shown["status"] == "PAID")

    await eventually(paid)

    async def deposit_callback_processed() -> bool:
        kinds = {(row["event_type"], row["status"]) for row in await inbox(clean_database)}
        return ("DEPOSIT_CALLBACK", "PROCESSED") in kinds

    await eventually(deposit_callback_processed)


def deposit_callback(order_id: str, secret: str) -> dict[str, Any]:
    return {
        "createdAt": "2026-11-22T09:00:00.000000",
        "secret": secret,
        "status": "DONE",
        "transactionKey": "tx",
        "orderId": order_id,
    }


async def test_webhooks_that_do_not_fit_the_inbox_get_400_on_either_database(
    served_client: httpx.AsyncClient, served_api: ServerProcess, clean_database: str
) -> None:
    """Every string that reaches a column of webhook_inbox is bounded as the column is."""
    order_id, key = "ord_forged_webhooks", "tgen_forged_webhooks"
    well_formed = status_changed(order_id, key, "DONE", 4500)
    # name -> (body, transmission id header, retried count header), headers as sent
    cases: dict[str, tuple[dict[str, Any], bytes, bytes]] = {
        "secret of 65": (deposit_callback(order_id, "s" * 65), b"wh_secret_65", b"0"),
        "secret of 200": (deposit_callback(order_id, "s" * 200), b"wh_secret_200", b"0"),
        "retried count past int32": (well_formed, b"wh_retried", b"99999999999"),
        "NUL in status": (status_changed(order_id, key, "DO\x00NE", 4500), b"wh_status", b"0"),
        "lone surrogate in status": (status_changed(order_id, key, "\ud800", 4500), b"wh2", b"0"),
        "NUL in paymentKey": (status_changed(order_id, "tgen_\x00", "DONE", 4500), b"wh3", b"0"),
        "NUL in orderId": (status_changed("ord_\x00forged", key, "DONE", 4500), b"wh4", b"0"),
        "DEL in transmission id": (well_formed, b"wh_\x7f", b"0"),
        "C1 control in transmission id": (well_formed, b"wh_\x85", b"0"),
        "transmission id of 101": (well_formed, b"w" * 101, b"0"),
    }
    answers = {}
    for name, (body, transmission_id, retried_count) in cases.items():
        # A connection each: the HTTP server itself closes one after a header it refuses.
        async with httpx.AsyncClient(base_url=served_api.url, timeout=30) as fresh:
            response = await fresh.post(
                "/webhooks/toss",
                content=json.dumps(body),
                headers={
                    b"Content-Type": b"application/json",
                    b"tosspayments-webhook-transmission-id": transmission_id,
                    b"tosspayments-webhook-transmission-retried-count": retried_count,
                },
            )
        answers[name] = response.status_code
    assert answers == dict.fromkeys(cases, 400)
    assert await inbox(clean_database) == []
    assert (await post_webhook(served_client, well_formed, "wh_fine")).status_code == 200
    assert "Traceback" not in served_api.log()


async def toss_reads(sandbox: httpx.AsyncClient, payment_key: str) -> int:
    """How many times Toss was asked for this payment (`GET /v1/payments/{paymentKey}`)."""
    response = await sandbox.get(
        "/admin/requests", params={"method": "GET", "path": f"/v1/payments/{payment_key}"}
    )
    response.raise_for_status()
    return len(response.json()["requests"])


async def test_a_flood_of_forged_webhooks_costs_a_few_reads_of_toss(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient, clean_database: str
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(reset_sandbox, order)
    assert (await confirm(served_client, alice, redirect))["errors"] == []
    key = redirect["paymentKey"]
    reads_before = await toss_reads(reset_sandbox, key)
    forged = status_changed(order["orderId"], key, "CANCELED", order["amount"])

    answers = await asyncio.gather(
        *(post_webhook(served_client, forged, f"whtrans_flood_{n}") for n in range(100))
    )
    assert {answer.status_code for answer in answers} == {200}

    async def all_processed() -> bool:
        rows = await inbox(clean_database)
        return len(rows) == 100 and all(row["status"] == "PROCESSED" for row in rows)

    await eventually(all_processed, seconds=30)
    assert await toss_reads(reset_sandbox, key) - reads_before <= 3
    shown = await order_status(served_client, alice, order["orderId"])
    assert (shown["status"], shown["payment"]["balanceAmount"]) == ("PAID", order["amount"])


async def test_the_webhook_endpoint_limits_each_client_address(
    clean_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    limited = {"WEBHOOK_RATE_LIMIT_PER_ADDRESS": "5"}
    with serve_api(tmp_path, clean_database, sandbox_server.url, settings=limited) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as first:
            bodies = [
                status_changed(f"ord_limited_{n}", f"tgen_limited_{n}", "DONE", 4500)
                for n in range(6)
            ]
            answers = [
                await post_webhook(first, body, f"whtrans_limited_{n}")
                for n, body in enumerate(bodies)
            ]
            assert [answer.status_code for answer in answers] == [200] * 5 + [429]
            assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
        other_address = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
        async with httpx.AsyncClient(
            base_url=server.url, timeout=30, transport=other_address
        ) as second:
            assert (await post_webhook(second, bodies[-1], "whtrans_other")).status_code == 200
        assert "Traceback" not in server.log()
