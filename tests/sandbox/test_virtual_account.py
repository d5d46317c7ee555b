from __future__ import annotations

import re
from datetime import timedelta

import httpx

from .driver import REFUND_ACCOUNT, VIRTUAL_ACCOUNT, MovableClock, SandboxDriver, new_order_id


async def test_confirm_of_a_virtual_account_waits_for_deposit_with_a_test_account_and_secret(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(
        order_id, 30_000, method=VIRTUAL_ACCOUNT, customerName="박토스"
    )
    clock.advance(timedelta(minutes=2))

    response = await toss.confirm(payment_key, order_id, 30_000)

    assert response.status_code == 200
    payment = response.json()
    assert (payment["status"], payment["method"]) == ("WAITING_FOR_DEPOSIT", "가상계좌")
    assert (payment["card"], payment["approvedAt"], payment["receipt"]) == (None, None, None)
    assert payment["isPartialCancelable"] is False
    assert re.fullmatch(r"[0-9A-F]{32}", payment["lastTransactionKey"])
    assert re.fullmatch(r"ps_[A-Za-z0-9]{28}", payment["secret"])
    account = payment["virtualAccount"]
    assert re.fullmatch(r"X\d{13}", account.pop("accountNumber"))
    assert re.fullmatch(r"\d\d", account.pop("bankCode"))
    assert account == {
        "accountType": "일반",
        "customerName": "박토스",
        "depositorName": "박토스",
        # Seven days after the confirm, in KST with no offset.
        "dueDate": "2025-03-08T12:02:00",
        "refundStatus": "NONE",
        "expired": False,
        "settlementStatus": "INCOMPLETED",
        "refundReceiveAccount": None,
    }


async def test_virtual_account_speaks_english_when_asked(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id, method=VIRTUAL_ACCOUNT)

    response = await toss.confirm(payment_key, order_id, headers={"Accept-Language": "en-US"})

    payment = response.json()
    assert payment["method"] == "VIRTUAL_ACCOUNT"
    assert payment["virtualAccount"]["accountType"] == "NORMAL"
    assert payment["virtualAccount"]["customerName"] == "김토스"


async def test_deposit_approves_the_payment(toss: SandboxDriver, clock: MovableClock) -> None:
    _, payment_key, issued = await toss.issued_virtual_account(30_000)
    clock.advance(timedelta(hours=5))

    response = await toss.deposit(payment_key)

    assert response.status_code == 200
    payment = response.json()
    assert payment["status"] == "DONE"
    assert payment["approvedAt"] == "2025-03-01T17:00:00+09:00"
    assert payment["lastTransactionKey"] != issued.json()["lastTransactionKey"]
    assert payment["virtualAccount"]["settlementStatus"] == "COMPLETED"
    assert payment["secret"] == issued.json()["secret"]
    assert payment["receipt"] == {"url": f"http://sandbox.test/receipt/{payment_key}"}
    assert (await toss.get(f"/v1/payments/{payment_key}")).json() == payment


async def test_partial_cancel_before_the_deposit_is_refused(toss: SandboxDriver) -> None:
    _, payment_key, _ = await toss.issued_virtual_account(10_000)

    response = await toss.cancel(payment_key, 4_000)

    assert response.status_code == 403
    assert response.json() == {
        "code": "NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT",
        "message": "입금 대기중인 결제는 부분 환불이 불가합니다.",
    }
    assert (await toss.get(f"/v1/payments/{payment_key}")).json()["status"] == (
        "WAITING_FOR_DEPOSIT"
    )


async def test_full_cancel_before_the_deposit_cancels_the_account(toss: SandboxDriver) -> None:
    _, payment_key, _ = await toss.issued_virtual_account(10_000)

    response = await toss.cancel(payment_key)

    assert response.status_code == 200
    payment = response.json()
    assert (payment["status"], payment["balanceAmount"], payment["approvedAt"]) == (
        "CANCELED",
        0,
        None,
    )
    assert [cancel["cancelAmount"] for cancel in payment["cancels"]] == [10_000]
    assert payment["receipt"] is None
    assert (await toss.deposit(payment_key)).json()["code"] == "NOT_WAITING_FOR_DEPOSIT"


async def test_deposited_virtual_account_cancels_in_part_like_a_card(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.deposited_virtual_account(10_000)
    clock.advance(timedelta(seconds=2))

    response = await toss.cancel(payment_key, 3_000, refundReceiveAccount=REFUND_ACCOUNT)

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["balanceAmount"]) == (
        "PARTIAL_CANCELED",
        7_000,
    )


async def test_account_past_its_due_date_reads_expired_and_takes_no_deposit(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.issued_virtual_account()
    clock.advance(timedelta(days=7, seconds=1))

    refused = await toss.deposit(payment_key)
    payment = (await toss.get(f"/v1/payments/{payment_key}")).json()

    assert refused.status_code == 409
    assert refused.json()["code"] == "EXPIRED_VIRTUAL_ACCOUNT"
    # Toss sends no webhook and keeps the status when the due date passes (toss-api.md §3.2).
    assert (payment["status"], payment["virtualAccount"]["expired"]) == (
        "WAITING_FOR_DEPOSIT",
        True,
    )


async def test_deposit_into_a_card_payment_or_an_unknown_one_is_refused(
    toss: SandboxDriver,
) -> None:
    _, card_key, _ = await toss.paid_order()

    card = await toss.deposit(card_key)
    unknown = await toss.deposit("tgen_unknown")

    assert (card.status_code, card.json()["code"]) == (409, "NOT_VIRTUAL_ACCOUNT")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND_PAYMENT")


async def test_an_issued_account_holds_its_order_against_another_checkout(
    toss: SandboxDriver,
) -> None:
    order_id, _, _ = await toss.issued_virtual_account()

    again = await toss.submit_checkout(order_id)

    assert httpx.URL(again.headers["location"]).params["code"] == "DUPLICATED_ORDER_ID"


async def test_receipt_of_a_deposited_account_shows_its_number(toss: SandboxDriver) -> None:
    _, payment_key, issued = await toss.issued_virtual_account(25_000)
    deposited = (await toss.deposit(payment_key)).json()

    receipt = await toss.client.get(deposited["receipt"]["url"])

    assert receipt.status_code == 200
    assert issued.json()["virtualAccount"]["accountNumber"] in receipt.text
