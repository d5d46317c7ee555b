from __future__ import annotations

from datetime import timedelta

import httpx

from toss_sandbox.api.idempotency import IdempotencyScope, claim
from toss_sandbox.storage.database import Database

from .conftest import SandboxFactory
from .driver import (
    CONFIRM_PATH,
    SECRET_KEY,
    MovableClock,
    SandboxDriver,
    basic_auth,
    new_order_id,
)


async def test_repeat_with_the_same_key_replays_the_first_answer_without_executing(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)

    first = await toss.confirm(payment_key, order_id, idempotency_key="confirm-1")
    repeat = await toss.confirm(payment_key, order_id, idempotency_key="confirm-1")

    # Executed again, the repeat would be ALREADY_PROCESSED_PAYMENT.
    assert first.status_code == repeat.status_code == 200
    assert repeat.content == first.content
    assert await toss.logged_requests(path=CONFIRM_PATH) == [
        {
            "method": "POST",
            "path": CONFIRM_PATH,
            "idempotencyKey": "confirm-1",
            "status": 200,
            "replayed": False,
            "fault": None,
            "keySet": "API_INDIVIDUAL",
        },
        {
            "method": "POST",
            "path": CONFIRM_PATH,
            "idempotencyKey": "confirm-1",
            "status": 200,
            "replayed": True,
            "fault": None,
            "keySet": "API_INDIVIDUAL",
        },
    ]


async def test_an_error_answer_is_replayed_too(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id, 10_000)

    refused = await toss.confirm(payment_key, order_id, 100, idempotency_key="k")
    corrected = await toss.confirm(payment_key, order_id, 10_000, idempotency_key="k")

    assert refused.status_code == corrected.status_code == 400
    assert corrected.content == refused.content
    assert (await toss.confirm(payment_key, order_id, 10_000)).status_code == 200


async def test_a_key_longer_than_300_characters_is_invalid_idempotency_key(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)

    too_long = await toss.confirm(payment_key, order_id, idempotency_key="k" * 301)
    longest = await toss.confirm(payment_key, order_id, idempotency_key="k" * 300)

    assert too_long.status_code == 400
    assert too_long.json() == {
        "code": "INVALID_IDEMPOTENCY_KEY",
        "message": "멱등키는 300자 이하여야 합니다.",
    }
    assert longest.status_code == 200


async def test_the_key_is_ignored_on_get(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    key = {"Idempotency-Key": "x" * 400}

    before = await toss.get(f"/v1/payments/{payment_key}", headers=key)
    await toss.confirm(payment_key, order_id)
    after = await toss.get(f"/v1/payments/{payment_key}", headers=key)

    assert (before.json()["status"], after.json()["status"]) == ("IN_PROGRESS", "DONE")
    logged = await toss.logged_requests(method="GET")
    assert [entry["idempotencyKey"] for entry in logged] == [None, None]


async def test_the_same_key_on_another_path_is_another_request(toss: SandboxDriver) -> None:
    order_id, payment_key, _ = await toss.paid_order()
    await toss.confirm(payment_key, order_id, idempotency_key="shared")

    other_path = await toss.client.post(
        f"/v1/payments/{payment_key}/unknown", headers={"Idempotency-Key": "shared"}
    )

    assert other_path.status_code == 404
    assert other_path.json()["code"] == "NOT_FOUND"


async def test_the_same_key_with_another_secret_key_is_another_request(
    toss: SandboxDriver, make_sandbox: SandboxFactory
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.confirm(payment_key, order_id, idempotency_key="shared")
    other_merchant = await make_sandbox(secret_key="test_sk_other_merchant")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=other_merchant.app), base_url="http://sb.test"
    ) as client:
        response = await client.post(
            CONFIRM_PATH,
            json={"paymentKey": payment_key, "orderId": order_id, "amount": 10_000},
            headers={
                "Authorization": basic_auth("test_sk_other_merchant"),
                "Idempotency-Key": "shared",
            },
        )

    assert response.json()["code"] == "ALREADY_PROCESSED_PAYMENT"


async def test_a_key_is_kept_for_fifteen_days_from_first_use(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.confirm(payment_key, order_id, idempotency_key="fortnight")

    clock.advance(timedelta(days=14, hours=23))
    within = await toss.confirm(payment_key, order_id, idempotency_key="fortnight")
    clock.advance(timedelta(hours=1, seconds=1))
    after = await toss.confirm(payment_key, order_id, idempotency_key="fortnight")

    assert within.status_code == 200
    assert after.status_code == 400
    assert after.json()["code"] == "ALREADY_PROCESSED_PAYMENT"


async def test_repeat_while_the_first_is_processing_is_idempotent_request_processing(
    toss: SandboxDriver, database_url: str, clock: MovableClock
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    # Another worker process has claimed the key and not answered yet.
    other_worker = Database(database_url)
    await other_worker.start()
    try:
        scope = IdempotencyScope.of("busy", secret_key=SECRET_KEY, path=CONFIRM_PATH, method="POST")
        assert await claim(other_worker, scope, clock()) is None
    finally:
        await other_worker.close()

    busy = await toss.confirm(payment_key, order_id, idempotency_key="busy")

    assert busy.status_code == 409
    assert busy.json() == {
        "code": "IDEMPOTENT_REQUEST_PROCESSING",
        "message": "이전 멱등 요청이 처리중입니다.",
    }
    # A marker whose worker never answered does not hold the key forever.
    clock.advance(timedelta(minutes=2))
    assert (await toss.confirm(payment_key, order_id, idempotency_key="busy")).status_code == 200
