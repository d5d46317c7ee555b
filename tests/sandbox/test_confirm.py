from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest

from .conftest import SandboxFactory
from .driver import CONFIRM_PATH, MovableClock, SandboxDriver, basic_auth, new_order_id

_KST_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00")


async def test_confirm_approves_and_answers_the_full_payment_object(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id, 10_000)
    clock.advance(timedelta(minutes=3, seconds=7))

    response = await toss.confirm(payment_key, order_id, 10_000)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    payment = response.json()
    card = payment.pop("card")
    last_transaction_key = payment.pop("lastTransactionKey")
    assert payment == {
        "mId": "tosspayments",
        "paymentKey": payment_key,
        "orderId": order_id,
        "orderName": "토스 티셔츠 외 2건",
        "taxExemptionAmount": 0,
        "status": "DONE",
        "requestedAt": "2025-03-01T12:00:00+09:00",
        "approvedAt": "2025-03-01T12:03:07+09:00",
        "useEscrow": False,
        "cultureExpense": False,
        "virtualAccount": None,
        "transfer": None,
        "mobilePhone": None,
        "giftCertificate": None,
        "cashReceipt": None,
        "cashReceipts": None,
        "discount": None,
        "cancels": None,
        "secret": None,
        "type": "NORMAL",
        "easyPay": None,
        "country": "KR",
        "failure": None,
        "isPartialCancelable": True,
        "receipt": {"url": f"http://sandbox.test/receipt/{payment_key}"},
        "checkout": {"url": f"http://sandbox.test/v1/payments/{payment_key}/checkout"},
        "currency": "KRW",
        "totalAmount": 10_000,
        "balanceAmount": 10_000,
        "suppliedAmount": 9_091,
        "vat": 909,
        "taxFreeAmount": 0,
        "metadata": None,
        "method": "카드",
        "version": "2022-11-16",
    }
    assert isinstance(last_transaction_key, str)
    assert 0 < len(last_transaction_key) <= 64
    assert re.fullmatch(r"\d{8}\*{4}\d{3}\*", card.pop("number"))
    assert re.fullmatch(r"\d{8}", card.pop("approveNo"))
    assert card.pop("issuerCode") == card.pop("acquirerCode")
    assert card == {
        "amount": 10_000,
        "installmentPlanMonths": 0,
        "useCardPoint": False,
        "cardType": "신용",
        "ownerType": "개인",
        "acquireStatus": "READY",
        "isInterestFree": False,
        "interestPayer": None,
    }


@pytest.mark.parametrize(
    ("amount", "vat", "supplied_amount"),
    [(100, 9, 91), (9_026, 821, 8_205), (30_000, 2_727, 27_273), (1_000_005, 90_910, 909_095)],
)
async def test_vat_is_the_taxable_amount_over_eleven_rounded(
    toss: SandboxDriver, amount: int, vat: int, supplied_amount: int
) -> None:
    _, _, response = await toss.paid_order(amount)

    payment = response.json()
    assert (payment["vat"], payment["suppliedAmount"]) == (vat, supplied_amount)
    assert payment["vat"] + payment["suppliedAmount"] == payment["totalAmount"] == amount


async def test_timestamps_are_kst_with_seconds_precision(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    clock.advance(timedelta(microseconds=654_321))

    _, _, response = await toss.paid_order()

    payment = response.json()
    assert _KST_SECONDS.fullmatch(payment["requestedAt"])
    assert _KST_SECONDS.fullmatch(payment["approvedAt"])


async def test_confirm_with_another_amount_is_invalid_request_and_changes_nothing(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id, 10_000)

    tampered = await toss.confirm(payment_key, order_id, 100)

    assert tampered.status_code == 400
    assert tampered.json()["code"] == "INVALID_REQUEST"
    assert "금액" in tampered.json()["message"]
    assert (await toss.confirm(payment_key, order_id, 10_000)).status_code == 200


async def test_confirm_with_another_order_id_is_not_found_payment_session(
    toss: SandboxDriver,
) -> None:
    payment_key = await toss.approve_checkout(new_order_id())

    response = await toss.confirm(payment_key, new_order_id())

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND_PAYMENT_SESSION"


async def test_confirm_of_an_unknown_payment_key_is_not_found_payment_session(
    toss: SandboxDriver,
) -> None:
    response = await toss.confirm("tgen_unknown", new_order_id())

    assert response.status_code == 404
    assert response.json() == {
        "code": "NOT_FOUND_PAYMENT_SESSION",
        "message": "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
    }


async def test_second_confirm_is_already_processed_payment(toss: SandboxDriver) -> None:
    order_id, payment_key, _ = await toss.paid_order()

    response = await toss.confirm(payment_key, order_id)

    assert response.status_code == 400
    assert response.json() == {
        "code": "ALREADY_PROCESSED_PAYMENT",
        "message": "이미 처리된 결제 입니다.",
    }


async def test_confirm_at_exactly_ten_minutes_still_succeeds(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    clock.advance(timedelta(minutes=10))

    response = await toss.confirm(payment_key, order_id)

    assert response.status_code == 200


async def test_confirm_after_ten_minutes_expires_the_payment(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    clock.advance(timedelta(minutes=10, seconds=1))

    late = await toss.confirm(payment_key, order_id)
    again = await toss.confirm(payment_key, order_id)

    assert late.status_code == again.status_code == 404
    assert late.json()["code"] == again.json()["code"] == "NOT_FOUND_PAYMENT_SESSION"
    payment = (await toss.get(f"/v1/payments/{payment_key}")).json()
    assert payment["status"] == "EXPIRED"
    assert payment["approvedAt"] is None
    assert payment["failure"] == {
        "code": "EXPIRED_PAYMENT",
        "message": "결제가 만료되었습니다. 다시 시도해주세요.",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"orderId": "order-123456", "amount": 10000}',
        b'{"paymentKey": "k", "amount": 10000}',
        b'{"paymentKey": "k", "orderId": "order-123456"}',
        b'{"paymentKey": 12, "orderId": "order-123456", "amount": 10000}',
        b'{"paymentKey": "k", "orderId": "order-123456", "amount": "ten"}',
        b'{"paymentKey": "k", "orderId": "order-123456", "amount": true}',
        b'{"paymentKey": "k", "orderId": "order-123456", "amount": 0}',
        b'{"paymentKey": "k", "orderId": "order-123456", "amount": -500}',
        b'{"paymentKey": "k", "orderId": "order-123456", "amount": 100.5}',
    ],
)
async def test_malformed_confirm_body_is_invalid_request(toss: SandboxDriver, body: bytes) -> None:
    response = await toss.client.post(
        CONFIRM_PATH,
        content=body,
        headers={"Authorization": basic_auth(), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


async def test_amount_sent_as_a_numeric_string_is_accepted(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id, 5_000)

    response = await toss.confirm(payment_key, order_id, "5000")

    assert response.status_code == 200
    assert response.json()["totalAmount"] == 5_000


async def test_english_is_spoken_when_asked(toss: SandboxDriver) -> None:
    english = {"Accept-Language": "en-US"}
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)

    refused = await toss.confirm(payment_key, order_id, 1, headers=english)
    approved = await toss.confirm(payment_key, order_id, headers=english)

    assert refused.json()["message"].startswith("The request is invalid")
    payment = approved.json()
    assert payment["method"] == "CARD"
    assert payment["card"]["cardType"] == "CREDIT"
    assert payment["card"]["ownerType"] == "PERSONAL"
    assert payment["orderName"] == "토스 티셔츠 외 2건"
    unknown = await toss.get("/v1/payments/tgen_nope", headers=english)
    assert unknown.json() == {"code": "NOT_FOUND_PAYMENT", "message": "The payment does not exist."}


async def test_concurrent_confirms_approve_exactly_once(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)

    responses = await asyncio.gather(
        *(toss.confirm(payment_key, order_id, idempotency_key=f"attempt-{n}") for n in range(20))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [400] * 19
    refusals = {response.json()["code"] for response in responses if response.status_code == 400}
    assert refusals == {"ALREADY_PROCESSED_PAYMENT"}


async def test_concurrent_confirms_with_one_idempotency_key_execute_once(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)

    responses = await asyncio.gather(
        *(toss.confirm(payment_key, order_id, idempotency_key="one-key") for _ in range(20))
    )

    assert {response.status_code for response in responses} <= {200, 409}
    assert len({response.content for response in responses if response.status_code == 200}) == 1
    executed = [
        entry
        for entry in await toss.logged_requests(path=CONFIRM_PATH)
        if entry["status"] == 200 and not entry["replayed"]
    ]
    assert len(executed) == 1


async def test_confirms_racing_through_two_sandboxes_on_one_file_approve_once(
    make_sandbox: SandboxFactory,
) -> None:
    # Two Sandbox objects have separate engines and pools, as two worker processes would.
    workers = [await make_sandbox(), await make_sandbox()]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker.app), base_url="http://sb.test")
        for worker in workers
    ]
    try:
        drivers = [SandboxDriver(client) for client in clients]
        order_id = new_order_id()
        payment_key = await drivers[0].approve_checkout(order_id)

        responses = await asyncio.gather(
            *(drivers[n % 2].confirm(payment_key, order_id) for n in range(20))
        )
    finally:
        for client in clients:
            await client.aclose()

    assert sorted(response.status_code for response in responses) == [200] + [400] * 19
