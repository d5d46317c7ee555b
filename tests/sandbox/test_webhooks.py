from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx

from .conftest import SandboxFactory
from .driver import MovableClock, SandboxDriver, new_order_id
from .loopback import WebhookReceiver

_TRANSMISSION_ID = re.compile(r"whtrans_[a-z0-9]{27}")
RETRY_MINUTES = (1, 4, 16, 64, 256, 1024, 4096)


async def _recorded(toss: SandboxDriver) -> list[dict[str, Any]]:
    """The deliveries, once the background task has recorded how each attempt went."""
    async with asyncio.timeout(5):
        while True:
            deliveries = await toss.webhook_deliveries()
            if all(delivery["status"] != "PENDING" for delivery in deliveries):
                return deliveries
            await asyncio.sleep(0.02)


async def test_confirm_sends_payment_status_changed_with_the_payment_and_toss_headers(
    make_sandbox: SandboxFactory, receiver: WebhookReceiver, clock: MovableClock
) -> None:
    # The background task delivers, over real HTTP to a loopback receiver.
    sandbox = await make_sandbox(webhook_url=receiver.url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sandbox.test"
    ) as client:
        toss = SandboxDriver(client)
        clock.advance(timedelta(microseconds=123_456))
        _, _, confirmed = await toss.paid_order()
        [webhook] = await receiver.wait_for(1)
        deliveries = await _recorded(toss)

    assert webhook.body == {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2025-03-01T12:00:00.123456",
        "data": confirmed.json(),
    }
    assert webhook.headers["content-type"] == "application/json"
    assert _TRANSMISSION_ID.fullmatch(webhook.headers["tosspayments-webhook-transmission-id"])
    assert webhook.headers["tosspayments-webhook-transmission-time"] == (
        "2025-03-01T12:00:00+09:00"
    )
    assert webhook.headers["tosspayments-webhook-transmission-retried-count"] == "0"
    [delivery] = deliveries
    assert delivery["transmissionId"] == webhook.headers["tosspayments-webhook-transmission-id"]
    assert (delivery["status"], delivery["attempts"], delivery["lastStatus"]) == (
        "DELIVERED",
        1,
        200,
    )
    assert delivery["body"] == webhook.body


async def test_issuing_a_virtual_account_sends_both_events_with_its_secret(
    hooked: SandboxDriver, receiver: WebhookReceiver
) -> None:
    order_id, _, issued = await hooked.issued_virtual_account()

    attempts = await hooked.deliver_webhooks()

    assert [attempt["outcome"] for attempt in attempts] == ["DELIVERED", "DELIVERED"]
    status_changed, deposit_callback = (received.body for received in receiver.received)
    assert status_changed["data"] == issued.json()
    assert deposit_callback == {
        "createdAt": "2025-03-01T12:00:00.000000",
        "secret": issued.json()["secret"],
        "status": "WAITING_FOR_DEPOSIT",
        "transactionKey": issued.json()["lastTransactionKey"],
        "orderId": order_id,
    }


async def test_deposit_sends_a_flat_deposit_callback_with_the_secret(
    hooked: SandboxDriver, receiver: WebhookReceiver, clock: MovableClock
) -> None:
    order_id, payment_key, issued = await hooked.issued_virtual_account()
    await hooked.deliver_webhooks()
    clock.advance(timedelta(hours=1))

    deposited = (await hooked.deposit(payment_key)).json()
    await hooked.deliver_webhooks()

    assert receiver.events()[2:] == [
        ("PAYMENT_STATUS_CHANGED", "DONE"),
        ("DEPOSIT_CALLBACK", "DONE"),
    ]
    assert receiver.received[2].body["data"] == deposited
    assert receiver.received[3].body == {
        "createdAt": "2025-03-01T13:00:00.000000",
        "secret": issued.json()["secret"],
        "status": "DONE",
        "transactionKey": deposited["lastTransactionKey"],
        "orderId": order_id,
    }


async def test_canceling_an_account_before_its_deposit_sends_canceled_events(
    hooked: SandboxDriver, receiver: WebhookReceiver
) -> None:
    _, payment_key, _ = await hooked.issued_virtual_account()

    await hooked.cancel(payment_key)
    await hooked.deliver_webhooks()

    assert receiver.events() == [
        ("PAYMENT_STATUS_CHANGED", "WAITING_FOR_DEPOSIT"),
        ("DEPOSIT_CALLBACK", "WAITING_FOR_DEPOSIT"),
        ("PAYMENT_STATUS_CHANGED", "CANCELED"),
        ("DEPOSIT_CALLBACK", "CANCELED"),
    ]


async def test_card_payment_sends_status_changes_only_and_no_deposit_callback(
    hooked: SandboxDriver, receiver: WebhookReceiver, clock: MovableClock
) -> None:
    _, payment_key, _ = await hooked.paid_order(10_000)
    await hooked.cancel(payment_key, 4_000)
    clock.advance(timedelta(seconds=2))
    await hooked.cancel(payment_key)

    await hooked.deliver_webhooks()

    assert receiver.events() == [
        ("PAYMENT_STATUS_CHANGED", "DONE"),
        ("PAYMENT_STATUS_CHANGED", "PARTIAL_CANCELED"),
        ("PAYMENT_STATUS_CHANGED", "CANCELED"),
    ]


async def test_window_left_past_thirty_minutes_sends_expired_without_being_read(
    hooked: SandboxDriver, receiver: WebhookReceiver
) -> None:
    payment_key = await hooked.open_window(new_order_id())
    await hooked.advance_clock(30 * 60 + 1)

    await hooked.deliver_webhooks()

    [webhook] = receiver.received
    assert webhook.body["data"]["paymentKey"] == payment_key
    assert webhook.body["data"]["status"] == "EXPIRED"
    assert webhook.body["data"]["failure"]["code"] == "EXPIRED_PAYMENT"
    assert webhook.body["createdAt"] == "2025-03-01T12:30:01.000000"


async def test_receiver_answering_500_gets_retries_after_one_then_four_minutes(
    hooked: SandboxDriver, receiver: WebhookReceiver
) -> None:
    receiver.status = 500
    await hooked.paid_order()
    first = await hooked.deliver_webhooks()

    await hooked.advance_clock(59)
    early = await hooked.deliver_webhooks()
    await hooked.advance_clock(1)
    second = await hooked.deliver_webhooks()
    await hooked.advance_clock(4 * 60 - 1)
    early_again = await hooked.deliver_webhooks()
    await hooked.advance_clock(1)
    third = await hooked.deliver_webhooks()

    assert (early, early_again) == ([], [])
    attempts = [*first, *second, *third]
    assert [attempt["retriedCount"] for attempt in attempts] == [0, 1, 2]
    assert [attempt["httpStatus"] for attempt in attempts] == [500, 500, 500]
    assert [attempt["nextAttemptAt"] for attempt in attempts] == [
        "2025-03-01T12:01:00+09:00",
        "2025-03-01T12:05:00+09:00",
        "2025-03-01T12:21:00+09:00",
    ]
    headers = [received.headers for received in receiver.received]
    assert len({header["tosspayments-webhook-transmission-id"] for header in headers}) == 1
    assert [header["tosspayments-webhook-transmission-retried-count"] for header in headers] == [
        "0",
        "1",
        "2",
    ]
    assert [header["tosspayments-webhook-transmission-time"] for header in headers] == [
        "2025-03-01T12:00:00+09:00",
        "2025-03-01T12:01:00+09:00",
        "2025-03-01T12:05:00+09:00",
    ]
    assert receiver.received[0].body == receiver.received[2].body


async def test_delivery_fails_for_good_after_the_seventh_retry(
    hooked: SandboxDriver, receiver: WebhookReceiver
) -> None:
    receiver.status = 500
    await hooked.paid_order()
    attempts = await hooked.deliver_webhooks()
    for minutes in RETRY_MINUTES:
        await hooked.advance_clock(minutes * 60)
        attempts += await hooked.deliver_webhooks()

    await hooked.advance_clock(10 * 24 * 3600)
    after = await hooked.deliver_webhooks()

    assert [attempt["retriedCount"] for attempt in attempts] == list(range(8))
    assert [attempt["outcome"] for attempt in attempts] == ["PENDING"] * 7 + ["FAILED"]
    assert attempts[-1]["nextAttemptAt"] is None
    assert after == []
    assert len(receiver.received) == 8
    [delivery] = await hooked.webhook_deliveries()
    assert (delivery["status"], delivery["attempts"], delivery["lastStatus"]) == (
        "FAILED",
        8,
        500,
    )


async def test_a_retry_answered_200_ends_the_retries(
    hooked: SandboxDriver, receiver: WebhookReceiver
) -> None:
    receiver.status = 503
    await hooked.paid_order()
    await hooked.deliver_webhooks()
    receiver.status = 200

    await hooked.advance_clock(60)
    [retry] = await hooked.deliver_webhooks()
    await hooked.advance_clock(3600)

    assert (retry["retriedCount"], retry["outcome"]) == (1, "DELIVERED")
    assert await hooked.deliver_webhooks() == []
    [delivery] = await hooked.webhook_deliveries()
    assert (delivery["status"], delivery["attempts"], delivery["nextAttemptAt"]) == (
        "DELIVERED",
        2,
        None,
    )


async def test_only_a_200_counts_and_a_network_error_is_a_failed_attempt(
    make_sandbox: SandboxFactory,
) -> None:
    answers: list[httpx.Response | Exception] = [
        httpx.Response(201),
        httpx.ConnectError("connection refused"),
    ]

    def merchant(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    sandbox = await make_sandbox(
        webhook_url="https://merchant.test/webhooks/toss",
        webhook_poll_seconds=None,
        webhook_transport=httpx.MockTransport(merchant),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sandbox.test"
    ) as client:
        toss = SandboxDriver(client)
        await toss.paid_order()
        first = await toss.deliver_webhooks()
        await toss.advance_clock(60)
        second = await toss.deliver_webhooks()

    assert (first[0]["httpStatus"], first[0]["outcome"]) == (201, "PENDING")
    assert (second[0]["httpStatus"], second[0]["outcome"]) == (None, "PENDING")
    assert second[0]["error"].startswith("ConnectError")


async def test_no_webhook_is_recorded_while_no_url_is_set(toss: SandboxDriver) -> None:
    await toss.paid_order()

    assert await toss.webhook_deliveries() == []
    assert (await toss.client.get("/admin/webhook")).json() == {"url": None}


async def test_webhook_url_is_set_and_cleared_through_the_admin(
    toss: SandboxDriver, receiver: WebhookReceiver
) -> None:
    await toss.set_webhook_url(receiver.url)
    _, with_url, _ = await toss.paid_order()
    await toss.set_webhook_url(None)
    await toss.paid_order()

    deliveries = await toss.webhook_deliveries()

    assert [(delivery["paymentKey"], delivery["url"]) for delivery in deliveries] == [
        (with_url, receiver.url)
    ]


async def test_admin_setting_overrides_the_configured_url(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox = await make_sandbox(webhook_url="http://configured.test/hook")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sb.test"
    ) as client:
        configured = (await client.get("/admin/webhook")).json()
        disabled = await client.put("/admin/webhook", json={"url": None})
        after = (await client.get("/admin/webhook")).json()

    assert configured == {"url": "http://configured.test/hook"}
    assert disabled.json() == after == {"url": None}


async def test_webhook_url_must_be_http(client: httpx.AsyncClient) -> None:
    for body in ({"url": "ftp://merchant.test/hook"}, {"url": 5}, {}, ["http://a.test"]):
        response = await client.put("/admin/webhook", json=body)
        assert response.status_code == 400, body
        assert response.json()["code"] == "INVALID_REQUEST"


async def test_two_workers_never_send_one_attempt_twice(
    make_sandbox: SandboxFactory, receiver: WebhookReceiver
) -> None:
    workers = [
        await make_sandbox(webhook_url=receiver.url, webhook_poll_seconds=None) for _ in range(2)
    ]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker.app), base_url="http://sb.test")
        for worker in workers
    ]
    try:
        drivers = [SandboxDriver(client) for client in clients]
        for _ in range(5):
            await drivers[0].paid_order()
        rounds: list[list[dict[str, Any]]] = await asyncio.gather(
            *(drivers[n % 2].deliver_webhooks() for n in range(6))
        )
    finally:
        for client in clients:
            await client.aclose()

    sent = [attempt["transmissionId"] for attempts in rounds for attempt in attempts]
    received = [
        webhook.headers["tosspayments-webhook-transmission-id"] for webhook in receiver.received
    ]
    assert len(sent) == len(set(sent)) == 5
    assert sorted(received) == sorted(sent)
