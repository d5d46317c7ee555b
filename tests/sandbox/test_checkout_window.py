"""The payment window's 30 minutes: GET /checkout opens a READY payment."""

from __future__ import annotations

from datetime import timedelta

import httpx

from .driver import FAIL_URL, MovableClock, SandboxDriver, checkout_form, new_order_id

THIRTY_MINUTES = 30 * 60


def _query_of(response: httpx.Response) -> dict[str, str]:
    return dict(httpx.URL(response.headers["location"]).params)


async def test_opening_the_window_records_a_ready_payment_with_no_method_yet(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()

    payment_key = await toss.open_window(order_id, 12_000)

    payment = (await toss.get(f"/v1/payments/{payment_key}")).json()
    assert (payment["status"], payment["orderId"], payment["totalAmount"]) == (
        "READY",
        order_id,
        12_000,
    )
    assert (payment["method"], payment["card"], payment["approvedAt"]) == (None, None, None)
    assert (await toss.get(f"/v1/payments/orders/{order_id}")).json()["paymentKey"] == payment_key


async def test_approving_in_the_window_authenticates_its_payment(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.open_window(order_id)

    approved_key = await toss.approve_checkout(order_id, paymentKey=payment_key)

    assert approved_key == payment_key
    payment = (await toss.get(f"/v1/payments/{payment_key}")).json()
    assert (payment["status"], payment["method"]) == ("IN_PROGRESS", "카드")


async def test_window_left_thirty_minutes_reads_expired_and_its_form_fails_aborted(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    payment_key = await toss.open_window(order_id)

    await toss.advance_clock(THIRTY_MINUTES + 1)
    payment = (await toss.get(f"/v1/payments/{payment_key}")).json()
    submitted = await toss.submit_checkout(order_id, paymentKey=payment_key)

    assert payment["status"] == "EXPIRED"
    assert payment["failure"] == {
        "code": "EXPIRED_PAYMENT",
        "message": "결제가 만료되었습니다. 다시 시도해주세요.",
    }
    assert submitted.status_code == 303
    assert submitted.headers["location"].startswith(FAIL_URL + "?")
    assert _query_of(submitted)["code"] == "PAY_PROCESS_ABORTED"


async def test_window_authenticated_at_thirty_minutes_gets_ten_more_to_confirm(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    payment_key = await toss.open_window(order_id)
    clock.advance(timedelta(minutes=30))
    await toss.approve_checkout(order_id, paymentKey=payment_key)
    clock.advance(timedelta(minutes=10))

    confirmed = await toss.confirm(payment_key, order_id)

    assert confirmed.status_code == 200
    assert confirmed.json()["requestedAt"] == "2025-03-01T12:00:00+09:00"
    assert confirmed.json()["approvedAt"] == "2025-03-01T12:40:00+09:00"


async def test_posting_the_form_of_an_authenticated_window_again_is_already_processed(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    payment_key = await toss.open_window(order_id)
    await toss.approve_checkout(order_id, paymentKey=payment_key)

    again = await toss.submit_checkout(order_id, paymentKey=payment_key)

    assert _query_of(again)["code"] == "ALREADY_PROCESSED_PAYMENT"


async def test_form_naming_another_orders_window_is_not_found_payment_session(
    toss: SandboxDriver,
) -> None:
    payment_key = await toss.open_window(new_order_id())

    response = await toss.submit_checkout(new_order_id(), paymentKey=payment_key)

    assert _query_of(response)["code"] == "NOT_FOUND_PAYMENT_SESSION"


async def test_window_of_a_paid_order_opens_no_payment_and_its_form_is_duplicated(
    toss: SandboxDriver,
) -> None:
    order_id, _, _ = await toss.paid_order()
    query = checkout_form(order_id)
    del query["decision"]

    page = await toss.client.get("/checkout", params=query)
    submitted = await toss.submit_checkout(order_id, paymentKey="")

    assert page.status_code == 200
    assert 'name="paymentKey" value=""' in page.text
    assert _query_of(submitted)["code"] == "DUPLICATED_ORDER_ID"
