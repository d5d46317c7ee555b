from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from .conftest import SandboxFactory
from .driver import (
    MovableClock,
    SandboxDriver,
    SteppingClock,
    basic_auth,
    cancel_path,
    new_order_id,
)

ONE_SECOND = timedelta(seconds=1)
# What a cancel changes in the Payment object; everything else reads as it did before.
CHANGED_BY_CANCEL = {
    "status",
    "balanceAmount",
    "suppliedAmount",
    "vat",
    "cancels",
    "lastTransactionKey",
}


async def _payment(toss: SandboxDriver, payment_key: str) -> dict[str, Any]:
    response = await toss.get(f"/v1/payments/{payment_key}")
    assert response.status_code == 200, response.text
    payment: dict[str, Any] = response.json()
    return payment


def _without(payment: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {key: value for key, value in payment.items() if key not in keys}


async def test_full_cancel_reads_canceled_with_one_complete_cancel_entry(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, confirmed = await toss.paid_order(10_000)
    clock.advance(timedelta(minutes=5, seconds=3))

    response = await toss.cancel(payment_key)

    assert response.status_code == 200
    payment = response.json()
    [cancel] = payment["cancels"]
    transaction_key = cancel.pop("transactionKey")
    receipt_key = cancel.pop("receiptKey")
    assert cancel == {
        "cancelReason": "고객 변심",
        "taxExemptionAmount": 0,
        "canceledAt": "2025-03-01T12:05:03+09:00",
        "transferDiscountAmount": 0,
        "easyPayDiscountAmount": 0,
        "cancelAmount": 10_000,
        "taxFreeAmount": 0,
        "refundableAmount": 0,
        "cardDiscountAmount": 0,
        "cancelStatus": "DONE",
        "cancelRequestId": None,
    }
    assert re.fullmatch(r"[0-9A-F]{32}", transaction_key)
    assert transaction_key != confirmed.json()["lastTransactionKey"]
    assert isinstance(receipt_key, str)
    assert receipt_key
    assert payment["lastTransactionKey"] == transaction_key
    assert (payment["status"], payment["balanceAmount"]) == ("CANCELED", 0)
    assert (payment["suppliedAmount"], payment["vat"]) == (0, 0)
    assert _without(payment, CHANGED_BY_CANCEL) == _without(confirmed.json(), CHANGED_BY_CANCEL)


async def test_partial_cancel_then_the_rest_reads_partial_canceled_then_canceled(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)

    partial = await toss.cancel(payment_key, 3_000)
    clock.advance(ONE_SECOND)
    rest = await toss.cancel(payment_key)

    assert partial.status_code == rest.status_code == 200
    after_partial, after_rest = partial.json(), rest.json()
    assert (after_partial["status"], after_partial["balanceAmount"]) == ("PARTIAL_CANCELED", 7_000)
    # Supply value and VAT are recomputed on the balance: round(7000 / 11) = 636.
    assert (after_partial["suppliedAmount"], after_partial["vat"]) == (6_364, 636)
    assert after_partial["totalAmount"] == 10_000
    assert after_partial["isPartialCancelable"] is True
    assert (after_rest["status"], after_rest["balanceAmount"]) == ("CANCELED", 0)
    assert [
        (cancel["cancelAmount"], cancel["refundableAmount"]) for cancel in after_rest["cancels"]
    ] == [(3_000, 7_000), (7_000, 0)]
    assert after_rest["cancels"][0] == after_partial["cancels"][0]
    first_key, second_key = (cancel["transactionKey"] for cancel in after_rest["cancels"])
    assert first_key != second_key
    assert after_partial["lastTransactionKey"] == first_key
    assert after_rest["lastTransactionKey"] == second_key


async def test_partial_cancels_summing_to_the_total_read_canceled(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)

    statuses = []
    for amount in (2_500, 2_500, 5_000):
        response = await toss.cancel(payment_key, amount)
        statuses.append((response.status_code, response.json()["status"]))
        clock.advance(ONE_SECOND)

    assert statuses == [(200, "PARTIAL_CANCELED"), (200, "PARTIAL_CANCELED"), (200, "CANCELED")]
    payment = await _payment(toss, payment_key)
    assert (payment["status"], payment["balanceAmount"]) == ("CANCELED", 0)
    assert [cancel["refundableAmount"] for cancel in payment["cancels"]] == [7_500, 5_000, 0]


async def test_cancel_over_the_balance_is_not_cancelable_amount_and_changes_nothing(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)
    await toss.cancel(payment_key, 6_000)
    clock.advance(ONE_SECOND)
    before = await _payment(toss, payment_key)

    response = await toss.cancel(payment_key, 4_001)

    assert response.status_code == 403
    assert response.json() == {
        "code": "NOT_CANCELABLE_AMOUNT",
        "message": "취소 할 수 없는 금액 입니다.",
    }
    assert await _payment(toss, payment_key) == before


async def test_cancel_of_a_canceled_payment_is_already_canceled_payment(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.paid_order()
    await toss.cancel(payment_key)
    clock.advance(ONE_SECOND)

    response = await toss.cancel(payment_key)

    assert response.status_code == 400
    assert response.json() == {
        "code": "ALREADY_CANCELED_PAYMENT",
        "message": "이미 취소된 결제 입니다.",
    }
    assert len((await _payment(toss, payment_key))["cancels"]) == 1


async def test_cancel_of_an_unconfirmed_payment_is_not_cancelable_payment(
    toss: SandboxDriver,
) -> None:
    payment_key = await toss.approve_checkout(new_order_id())

    response = await toss.cancel(payment_key)

    assert response.status_code == 403
    assert response.json() == {
        "code": "NOT_CANCELABLE_PAYMENT",
        "message": "취소 할 수 없는 결제 입니다.",
    }
    payment = await _payment(toss, payment_key)
    assert (payment["status"], payment["cancels"]) == ("IN_PROGRESS", None)


async def test_cancel_of_an_expired_payment_is_not_cancelable_payment(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    payment_key = await toss.approve_checkout(new_order_id())
    clock.advance(timedelta(minutes=11))

    response = await toss.cancel(payment_key)

    assert response.status_code == 403
    assert response.json()["code"] == "NOT_CANCELABLE_PAYMENT"


async def test_cancel_of_an_unknown_payment_is_not_found_payment(toss: SandboxDriver) -> None:
    response = await toss.cancel("tgen_unknown")

    assert response.status_code == 404
    assert response.json() == {
        "code": "NOT_FOUND_PAYMENT",
        "message": "존재하지 않는 결제 정보 입니다.",
    }


async def _post_cancel_body(toss: SandboxDriver, payment_key: str, body: bytes) -> httpx.Response:
    return await toss.client.post(
        cancel_path(payment_key),
        content=body,
        headers={"Authorization": basic_auth(), "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"cancelReason": None},
        {"cancelReason": ""},
        {"cancelReason": "   "},
        {"cancelReason": 12},
        {"cancelReason": "가" * 201},
    ],
    ids=["missing", "null", "empty", "blank", "number", "201-characters"],
)
async def test_cancel_without_a_valid_reason_is_invalid_request(
    toss: SandboxDriver, body: dict[str, Any]
) -> None:
    _, payment_key, _ = await toss.paid_order()

    response = await _post_cancel_body(toss, payment_key, json.dumps(body).encode())

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert "cancelReason" in response.json()["message"]
    assert (await _payment(toss, payment_key))["status"] == "DONE"


async def test_reason_of_200_characters_is_accepted(toss: SandboxDriver) -> None:
    _, payment_key, _ = await toss.paid_order()

    response = await toss.cancel(payment_key, reason="가" * 200)

    assert response.status_code == 200
    assert response.json()["cancels"][0]["cancelReason"] == "가" * 200


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'["cancelReason"]',
        b'{"cancelReason": "r", "cancelAmount": 0}',
        b'{"cancelReason": "r", "cancelAmount": -1000}',
        b'{"cancelReason": "r", "cancelAmount": 100.5}',
        b'{"cancelReason": "r", "cancelAmount": true}',
        b'{"cancelReason": "r", "cancelAmount": "1,000"}',
        b'{"cancelReason": "r", "refundableAmount": -1}',
        b'{"cancelReason": "r", "refundableAmount": "all"}',
        b'{"cancelReason": "r", "taxFreeAmount": -1}',
        b'{"cancelReason": "r", "taxFreeAmount": 100}',
        b'{"cancelReason": "r", "currency": "USD"}',
        b'{"cancelReason": "r", "currency": 410}',
    ],
)
async def test_malformed_cancel_body_is_invalid_request(toss: SandboxDriver, body: bytes) -> None:
    _, payment_key, _ = await toss.paid_order()

    response = await _post_cancel_body(toss, payment_key, body)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert (await _payment(toss, payment_key))["status"] == "DONE"


async def test_whole_number_strings_and_explicit_defaults_are_accepted(
    toss: SandboxDriver,
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)

    response = await toss.cancel(
        payment_key, "3000", refundableAmount=10_000.0, taxFreeAmount=0, currency="KRW"
    )

    assert response.status_code == 200
    assert response.json()["balanceAmount"] == 7_000


async def test_stale_refundable_amount_is_not_matches_refundable_amount(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)
    await toss.cancel(payment_key, 3_000)
    clock.advance(ONE_SECOND)

    response = await toss.cancel(payment_key, 1_000, refundableAmount=10_000)

    assert response.status_code == 400
    assert response.json() == {
        "code": "NOT_MATCHES_REFUNDABLE_AMOUNT",
        "message": "잔액 결과가 일치하지 않습니다.",
    }
    assert (await _payment(toss, payment_key))["balanceAmount"] == 7_000


async def test_matching_refundable_amount_is_accepted(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)
    await toss.cancel(payment_key, 3_000)
    clock.advance(ONE_SECOND)

    response = await toss.cancel(payment_key, 1_000, refundableAmount=7_000)

    assert response.status_code == 200
    assert response.json()["balanceAmount"] == 6_000


async def test_second_cancel_within_a_second_is_forbidden_consecutive_request(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)
    await toss.cancel(payment_key, 1_000)
    clock.advance(timedelta(milliseconds=999))

    too_soon = await toss.cancel(payment_key, 1_000)
    # A second after the last successful cancel; the refused one does not restart the wait.
    clock.advance(timedelta(milliseconds=1))
    in_time = await toss.cancel(payment_key, 1_000)

    assert too_soon.status_code == 403
    assert too_soon.json() == {
        "code": "FORBIDDEN_CONSECUTIVE_REQUEST",
        "message": "반복적인 요청은 허용되지 않습니다. 잠시 후 다시 시도해주세요.",
    }
    assert in_time.status_code == 200
    assert in_time.json()["balanceAmount"] == 8_000


async def test_repeat_with_the_same_idempotency_key_replays_the_first_cancel(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)

    first = await toss.cancel(payment_key, 3_000, idempotency_key="cancel-1")
    clock.advance(timedelta(seconds=5))
    repeat = await toss.cancel(payment_key, 3_000, idempotency_key="cancel-1")

    assert first.status_code == repeat.status_code == 200
    assert repeat.content == first.content
    payment = await _payment(toss, payment_key)
    assert (payment["balanceAmount"], len(payment["cancels"])) == (7_000, 1)
    logged = await toss.logged_requests(path=cancel_path(payment_key))
    assert [(entry["idempotencyKey"], entry["replayed"]) for entry in logged] == [
        ("cancel-1", False),
        ("cancel-1", True),
    ]


async def test_cancel_refusals_are_in_english_when_asked(toss: SandboxDriver) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)

    response = await toss.cancel(payment_key, 20_000, headers={"Accept-Language": "en-US"})

    assert response.json() == {
        "code": "NOT_CANCELABLE_AMOUNT",
        "message": "This amount cannot be canceled.",
    }


async def test_lookups_by_key_and_by_order_id_show_the_cancels(toss: SandboxDriver) -> None:
    order_id, payment_key, _ = await toss.paid_order(10_000)
    canceled = await toss.cancel(payment_key, 4_000)

    by_key = await toss.get(f"/v1/payments/{payment_key}")
    by_order = await toss.get(f"/v1/payments/orders/{order_id}")

    assert by_key.json() == by_order.json() == canceled.json()
    assert by_order.json()["status"] == "PARTIAL_CANCELED"


async def test_concurrent_partial_cancels_within_one_second_let_exactly_one_through(
    toss: SandboxDriver,
) -> None:
    _, payment_key, _ = await toss.paid_order(10_000)

    responses = await asyncio.gather(
        *(toss.cancel(payment_key, 1_000, idempotency_key=f"cancel-{n}") for n in range(10))
    )

    assert sorted(response.status_code for response in responses) == [200] + [403] * 9
    refusals = {response.json()["code"] for response in responses if response.status_code == 403}
    assert refusals == {"FORBIDDEN_CONSECUTIVE_REQUEST"}
    payment = await _payment(toss, payment_key)
    assert (payment["status"], payment["balanceAmount"]) == ("PARTIAL_CANCELED", 9_000)
    assert len(payment["cancels"]) == 1


async def test_cancels_racing_through_two_sandboxes_on_one_file_never_exceed_the_balance(
    make_sandbox: SandboxFactory,
) -> None:
    # Every read of this clock is a second later, so the one-second rule alone cannot stop
    # the race: the balance check has to hold under contention.
    clock = SteppingClock(datetime(2025, 3, 1, 3, 0, 0, tzinfo=UTC), ONE_SECOND)
    workers = [await make_sandbox(clock=clock), await make_sandbox(clock=clock)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker.app), base_url="http://sb.test")
        for worker in workers
    ]
    try:
        drivers = [SandboxDriver(client) for client in clients]
        _, payment_key, _ = await drivers[0].paid_order(10_000)

        responses = await asyncio.gather(
            *(drivers[n % 2].cancel(payment_key, 4_000) for n in range(10))
        )
        payment = await _payment(drivers[1], payment_key)
    finally:
        for client in clients:
            await client.aclose()

    succeeded = sum(response.status_code == 200 for response in responses)
    refusals = {response.json()["code"] for response in responses if response.status_code != 200}
    assert 1 <= succeeded <= 2
    assert refusals <= {"NOT_CANCELABLE_AMOUNT", "FORBIDDEN_CONSECUTIVE_REQUEST"}
    assert payment["balanceAmount"] == 10_000 - 4_000 * succeeded
    assert [cancel["cancelAmount"] for cancel in payment["cancels"]] == [4_000] * succeeded
