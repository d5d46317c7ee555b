from __future__ import annotations

from datetime import timedelta

from .driver import MovableClock, SandboxDriver, new_order_id


async def test_payment_reads_the_same_by_key_and_by_order_id(toss: SandboxDriver) -> None:
    order_id, payment_key, confirmed = await toss.paid_order()

    by_key = await toss.get(f"/v1/payments/{payment_key}")
    by_order = await toss.get(f"/v1/payments/orders/{order_id}")

    assert by_key.status_code == by_order.status_code == 200
    assert by_key.json() == by_order.json() == confirmed.json()


async def test_authenticated_checkout_reads_as_in_progress(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)

    payment = (await toss.get(f"/v1/payments/{payment_key}")).json()

    assert payment["status"] == "IN_PROGRESS"
    assert payment["approvedAt"] is None
    assert payment["receipt"] is None
    assert payment["lastTransactionKey"] is None


async def test_unknown_payment_is_not_found_payment(toss: SandboxDriver) -> None:
    by_key = await toss.get("/v1/payments/tgen_nothing_here")
    by_order = await toss.get(f"/v1/payments/orders/{new_order_id()}")

    assert by_key.status_code == by_order.status_code == 404
    assert (
        by_key.json()
        == by_order.json()
        == {
            "code": "NOT_FOUND_PAYMENT",
            "message": "존재하지 않는 결제 정보 입니다.",
        }
    )


async def test_order_lookup_prefers_the_approved_payment_over_a_newer_checkout(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    approved_key = await toss.approve_checkout(order_id)
    clock.advance(timedelta(minutes=1))
    await toss.approve_checkout(order_id)
    await toss.confirm(approved_key, order_id)

    payment = (await toss.get(f"/v1/payments/orders/{order_id}")).json()

    assert payment["paymentKey"] == approved_key
    assert payment["status"] == "DONE"


async def test_order_lookup_without_approval_shows_the_latest_checkout(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    await toss.approve_checkout(order_id)
    clock.advance(timedelta(minutes=1))
    latest_key = await toss.approve_checkout(order_id)

    payment = (await toss.get(f"/v1/payments/orders/{order_id}")).json()

    assert payment["paymentKey"] == latest_key


async def test_unconfirmed_payment_reads_as_expired_once_its_window_passed(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    await toss.approve_checkout(order_id)
    clock.advance(timedelta(minutes=11))

    payment = (await toss.get(f"/v1/payments/orders/{order_id}")).json()

    assert payment["status"] == "EXPIRED"
    assert payment["failure"]["code"] == "EXPIRED_PAYMENT"


async def test_receipt_url_shows_the_approved_payment(toss: SandboxDriver) -> None:
    _, _, confirmed = await toss.paid_order(25_000)

    receipt = await toss.client.get(confirmed.json()["receipt"]["url"])

    assert receipt.status_code == 200
    assert "25,000원" in receipt.text
    assert confirmed.json()["card"]["approveNo"] in receipt.text


async def test_receipt_of_an_unapproved_payment_is_not_found(toss: SandboxDriver) -> None:
    payment_key = await toss.approve_checkout(new_order_id())

    receipt = await toss.client.get(f"/receipt/{payment_key}")

    assert receipt.status_code == 404
