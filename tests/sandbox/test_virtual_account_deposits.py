"""What the bank does to a virtual account's money: it takes exactly the account's amount,
it may take a deposit back, and it takes nothing past the due date (toss-api.md §3.2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .driver import REFUND_ACCOUNT, MovableClock, SandboxDriver
from .loopback import WebhookReceiver

PAST_DUE = timedelta(days=7, seconds=1)


async def _payment(toss: SandboxDriver, payment_key: str) -> dict[str, Any]:
    payment: dict[str, Any] = (await toss.get(f"/v1/payments/{payment_key}")).json()
    return payment


@pytest.mark.parametrize(
    "amount", [pytest.param(4_000, id="partial"), pytest.param(10_001, id="over")]
)
async def test_deposit_of_another_amount_is_refused_and_changes_nothing(
    hooked: SandboxDriver, amount: int
) -> None:
    _, payment_key, issued = await hooked.issued_virtual_account(10_000)

    refused = await hooked.deposit(payment_key, amount)

    assert refused.status_code == 409
    assert refused.json() == {
        "code": "WRONG_DEPOSIT_AMOUNT",
        "message": f"the account takes exactly 10000; the bank refused {amount}",
    }
    assert await _payment(hooked, payment_key) == issued.json()
    # Only the two webhooks: a refused transfer is no event.
    assert len(await hooked.webhook_deliveries(paymentKey=payment_key)) == 2


async def test_deposit_of_the_exact_amount_after_a_refused_one_approves(
    toss: SandboxDriver,
) -> None:
    _, payment_key, _ = await toss.issued_virtual_account(10_000)
    await toss.deposit(payment_key, 9_999)

    response = await toss.deposit(payment_key, 10_000)

    assert (response.status_code, response.json()["status"]) == (200, "DONE")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"amount": "10000"}, id="amount-as-text"),
        pytest.param({"amount": True}, id="amount-as-boolean"),
        pytest.param({"amount": 0}, id="amount-zero"),
        pytest.param({"amount": 10_000, "currency": "KRW"}, id="unknown-field"),
        pytest.param([10_000], id="not-an-object"),
    ],
)
async def test_malformed_deposit_body_is_invalid_request(toss: SandboxDriver, body: Any) -> None:
    _, payment_key, issued = await toss.issued_virtual_account(10_000)

    response = await toss.client.post(f"/admin/virtual-accounts/{payment_key}/deposit", json=body)

    assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")
    assert await _payment(toss, payment_key) == issued.json()


async def test_reversed_deposit_waits_for_the_money_again(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, deposited = await toss.deposited_virtual_account()
    clock.advance(timedelta(hours=1))

    response = await toss.deposit_error(payment_key)

    assert response.status_code == 200
    payment = response.json()
    assert (payment["status"], payment["approvedAt"], payment["receipt"]) == (
        "WAITING_FOR_DEPOSIT",
        None,
        None,
    )
    assert payment["virtualAccount"]["settlementStatus"] == "INCOMPLETED"
    assert payment["lastTransactionKey"] != deposited.json()["lastTransactionKey"]
    assert payment["secret"] == deposited.json()["secret"]
    assert payment["isPartialCancelable"] is False
    assert await _payment(toss, payment_key) == payment
    again = await toss.deposit(payment_key)
    assert (again.json()["status"], again.json()["approvedAt"]) == (
        "DONE",
        "2025-03-01T13:00:00+09:00",
    )


async def test_reversed_deposit_sends_both_webhooks_with_the_waiting_status(
    hooked: SandboxDriver, receiver: WebhookReceiver, clock: MovableClock
) -> None:
    order_id, payment_key, _ = await hooked.deposited_virtual_account()
    clock.advance(timedelta(minutes=5, microseconds=250))

    reversed_payment = (await hooked.deposit_error(payment_key)).json()
    await hooked.deliver_webhooks()

    assert receiver.events()[4:] == [
        ("PAYMENT_STATUS_CHANGED", "WAITING_FOR_DEPOSIT"),
        ("DEPOSIT_CALLBACK", "WAITING_FOR_DEPOSIT"),
    ]
    assert receiver.received[4].body == {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2025-03-01T12:05:00.000250",
        "data": reversed_payment,
    }
    assert receiver.received[5].body == {
        "createdAt": "2025-03-01T12:05:00.000250",
        "secret": reversed_payment["secret"],
        "status": "WAITING_FOR_DEPOSIT",
        "transactionKey": reversed_payment["lastTransactionKey"],
        "orderId": order_id,
    }


async def test_only_a_deposited_account_with_no_cancels_can_have_its_deposit_reversed(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, waiting_key, _ = await toss.issued_virtual_account()
    _, canceled_key, _ = await toss.deposited_virtual_account(10_000)
    await toss.cancel(canceled_key, 1_000, refundReceiveAccount=REFUND_ACCOUNT)
    _, card_key, _ = await toss.paid_order()

    waiting = await toss.deposit_error(waiting_key)
    canceled = await toss.deposit_error(canceled_key)
    card = await toss.deposit_error(card_key)
    unknown = await toss.deposit_error("tgen_unknown")

    assert (waiting.status_code, waiting.json()["code"]) == (409, "NOT_DEPOSITED")
    assert (canceled.status_code, canceled.json()["code"]) == (409, "NOT_DEPOSITED")
    assert (card.status_code, card.json()["code"]) == (409, "NOT_VIRTUAL_ACCOUNT")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND_PAYMENT")
    assert (await _payment(toss, canceled_key))["status"] == "PARTIAL_CANCELED"


async def test_account_past_its_due_date_sends_no_webhook_and_refuses_the_deposit(
    hooked: SandboxDriver, receiver: WebhookReceiver
) -> None:
    _, payment_key, issued = await hooked.issued_virtual_account()
    await hooked.deliver_webhooks()
    await hooked.advance_clock(PAST_DUE.total_seconds())

    refused = await hooked.deposit(payment_key)
    later = await hooked.deliver_webhooks()

    assert (refused.status_code, refused.json()["code"]) == (409, "EXPIRED_VIRTUAL_ACCOUNT")
    assert later == []
    assert len(receiver.received) == 2
    payment = await _payment(hooked, payment_key)
    assert (payment["status"], payment["virtualAccount"]["expired"]) == (
        "WAITING_FOR_DEPOSIT",
        True,
    )
    assert payment["lastTransactionKey"] == issued.json()["lastTransactionKey"]


async def test_cancel_of_an_expired_account_closes_it_like_any_waiting_one(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.issued_virtual_account(10_000)
    clock.advance(PAST_DUE)

    response = await toss.cancel(payment_key)

    assert response.status_code == 200
    payment = response.json()
    assert (payment["status"], payment["balanceAmount"], payment["approvedAt"]) == (
        "CANCELED",
        0,
        None,
    )
    assert payment["virtualAccount"]["refundStatus"] == "NONE"
    assert [cancel["cancelAmount"] for cancel in payment["cancels"]] == [10_000]
