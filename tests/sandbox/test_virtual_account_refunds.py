"""Cancels of virtual accounts that were paid into: the refund account Toss requires, and the
refund's progress in `virtualAccount.refundStatus` (toss-api.md §2.4, §3.2, §4.4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .driver import REFUND_ACCOUNT, MovableClock, SandboxDriver
from .loopback import WebhookReceiver

TWO_DAYS = timedelta(days=2)


async def _payment(toss: SandboxDriver, payment_key: str) -> dict[str, Any]:
    payment: dict[str, Any] = (await toss.get(f"/v1/payments/{payment_key}")).json()
    return payment


async def _refund_status(toss: SandboxDriver, payment_key: str) -> str:
    status: str = (await _payment(toss, payment_key))["virtualAccount"]["refundStatus"]
    return status


async def test_cancel_of_a_deposited_account_without_a_refund_account_is_refused(
    toss: SandboxDriver,
) -> None:
    _, payment_key, deposited = await toss.deposited_virtual_account()

    response = await toss.cancel(payment_key)

    assert response.status_code == 400
    assert response.json() == {
        "code": "INVALID_REQUEST",
        "message": (
            "잘못된 요청입니다. refundReceiveAccount: 입금된 가상계좌 결제를 취소하려면 필수입니다."
        ),
    }
    assert await _payment(toss, payment_key) == deposited.json()


@pytest.mark.parametrize(
    ("account", "code", "message"),
    [
        pytest.param(
            {**REFUND_ACCOUNT, "bank": "신한"},
            "INVALID_BANK",
            "유효하지 않은 은행입니다.",
            id="korean-bank-name",
        ),
        pytest.param(
            {**REFUND_ACCOUNT, "bank": "088"},
            "INVALID_BANK",
            "유효하지 않은 은행입니다.",
            id="three-digit-bank-code",
        ),
        pytest.param(
            {**REFUND_ACCOUNT, "accountNumber": "110-123-456789"},
            "INVALID_REFUND_ACCOUNT_NUMBER",
            "잘못된 환불 계좌번호입니다.",
            id="number-with-dashes",
        ),
        pytest.param(
            {**REFUND_ACCOUNT, "accountNumber": "1" * 21},
            "INVALID_REFUND_ACCOUNT_NUMBER",
            "잘못된 환불 계좌번호입니다.",
            id="number-of-21-digits",
        ),
        pytest.param(
            {**REFUND_ACCOUNT, "accountNumber": ""},
            "INVALID_REFUND_ACCOUNT_NUMBER",
            "잘못된 환불 계좌번호입니다.",
            id="empty-number",
        ),
        pytest.param(
            {**REFUND_ACCOUNT, "holderName": "김" * 61},
            "INVALID_REQUEST",
            "잘못된 요청입니다. refundReceiveAccount.holderName: 1자 이상 60자 이하여야 합니다.",
            id="holder-of-61-characters",
        ),
        pytest.param(
            {**REFUND_ACCOUNT, "holderName": "  "},
            "INVALID_REQUEST",
            "잘못된 요청입니다. refundReceiveAccount.holderName: 1자 이상 60자 이하여야 합니다.",
            id="blank-holder",
        ),
        pytest.param(
            {"bank": "88", "accountNumber": "110123456789"},
            "INVALID_REQUEST",
            "잘못된 요청입니다. refundReceiveAccount.holderName: 필수 문자열입니다.",
            id="holder-missing",
        ),
        pytest.param(
            {**REFUND_ACCOUNT, "accountNumber": 110123456789},
            "INVALID_REQUEST",
            "잘못된 요청입니다. refundReceiveAccount.accountNumber: 필수 문자열입니다.",
            id="number-as-a-number",
        ),
        pytest.param(
            "88 110123456789 김토스",
            "INVALID_REQUEST",
            "잘못된 요청입니다. refundReceiveAccount: 객체여야 합니다.",
            id="not-an-object",
        ),
    ],
)
async def test_malformed_refund_account_gets_tosss_code_and_changes_nothing(
    toss: SandboxDriver, account: Any, code: str, message: str
) -> None:
    _, payment_key, deposited = await toss.deposited_virtual_account()

    response = await toss.cancel(payment_key, refundReceiveAccount=account)

    assert response.status_code == 400
    assert response.json() == {"code": code, "message": message}
    assert await _payment(toss, payment_key) == deposited.json()


async def test_refund_account_errors_speak_english_when_asked(toss: SandboxDriver) -> None:
    _, payment_key, _ = await toss.deposited_virtual_account()

    bank = await toss.cancel(
        payment_key,
        refundReceiveAccount={**REFUND_ACCOUNT, "bank": "XX"},
        headers={"Accept-Language": "en-US"},
    )
    number = await toss.cancel(
        payment_key,
        refundReceiveAccount={**REFUND_ACCOUNT, "accountNumber": "12a"},
        headers={"Accept-Language": "en-US"},
    )

    assert bank.json() == {"code": "INVALID_BANK", "message": "It is an Invalid bank."}
    assert number.json() == {
        "code": "INVALID_REFUND_ACCOUNT_NUMBER",
        "message": "Incorrect refund account number.",
    }


async def test_holder_not_owning_the_account_is_answered_through_the_test_code(
    toss: SandboxDriver,
) -> None:
    # The sandbox knows no real account owners; Toss's test code produces the bank's answer.
    _, payment_key, deposited = await toss.deposited_virtual_account()

    response = await toss.cancel(
        payment_key,
        refundReceiveAccount=REFUND_ACCOUNT,
        headers={"TossPayments-Test-Code": "INVALID_REFUND_ACCOUNT_INFO"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "INVALID_REFUND_ACCOUNT_INFO",
        "message": "환불 계좌번호와 예금주명이 일치하지 않습니다.",
    }
    assert await _payment(toss, payment_key) == deposited.json()


async def test_cancel_with_a_good_account_cancels_and_records_where_the_refund_goes(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.deposited_virtual_account(10_000)
    clock.advance(timedelta(hours=1))

    response = await toss.cancel(payment_key, refundReceiveAccount=REFUND_ACCOUNT)
    refunds = (await toss.refunds(payment_key)).json()

    assert response.status_code == 200
    payment = response.json()
    assert (payment["status"], payment["balanceAmount"]) == ("CANCELED", 0)
    # Toss shows here only an account typed into the payment widget, never the cancel's.
    assert payment["virtualAccount"]["refundReceiveAccount"] is None
    assert payment["virtualAccount"]["refundStatus"] == "PENDING"
    assert refunds == {
        "refunds": [
            {
                "transactionKey": payment["cancels"][0]["transactionKey"],
                "cancelAmount": 10_000,
                "bank": "88",
                "accountNumber": "110123456789",
                "holderName": "김토스",
                "requestedAt": "2025-03-01T13:00:00+09:00",
                "completesAt": "2025-03-03T13:00:00+09:00",
                "status": "PENDING",
            }
        ]
    }


async def test_refund_status_is_none_then_pending_then_completed_two_days_after_the_cancel(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, deposited = await toss.deposited_virtual_account()
    before = deposited.json()["virtualAccount"]["refundStatus"]
    await toss.cancel(payment_key, refundReceiveAccount=REFUND_ACCOUNT)
    at_cancel = await _refund_status(toss, payment_key)

    await toss.advance_clock(TWO_DAYS.total_seconds() - 1)
    just_before = await _refund_status(toss, payment_key)
    await toss.advance_clock(1)
    after = await _refund_status(toss, payment_key)

    assert (before, at_cancel, just_before, after) == ("NONE", "PENDING", "PENDING", "COMPLETED")
    [refund] = (await toss.refunds(payment_key)).json()["refunds"]
    assert refund["status"] == "COMPLETED"


async def test_each_partial_cancel_names_its_own_account_and_the_refunds_complete_in_turn(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, payment_key, _ = await toss.deposited_virtual_account(10_000)
    other_account = {"bank": "90", "accountNumber": "3333012345678", "holderName": "박토스"}
    first = await toss.cancel(payment_key, 3_000, refundReceiveAccount=REFUND_ACCOUNT)
    clock.advance(timedelta(days=1))
    second = await toss.cancel(payment_key, 2_000, refundReceiveAccount=other_account)

    clock.advance(timedelta(days=1))
    one_done = await toss.refunds(payment_key)
    one_done_status = await _refund_status(toss, payment_key)
    clock.advance(timedelta(days=1))

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["status"] == "PARTIAL_CANCELED"
    assert [
        (refund["cancelAmount"], refund["bank"], refund["holderName"], refund["status"])
        for refund in one_done.json()["refunds"]
    ] == [(3_000, "88", "김토스", "COMPLETED"), (2_000, "90", "박토스", "PENDING")]
    assert one_done_status == "PENDING"
    assert await _refund_status(toss, payment_key) == "COMPLETED"


async def test_failure_switch_fails_a_full_refund(toss: SandboxDriver, clock: MovableClock) -> None:
    _, payment_key, _ = await toss.deposited_virtual_account()
    await toss.cancel(payment_key, refundReceiveAccount=REFUND_ACCOUNT)

    failed = await toss.fail_refunds(payment_key)
    clock.advance(TWO_DAYS)

    assert failed.status_code == 200
    assert (failed.json()["status"], failed.json()["virtualAccount"]["refundStatus"]) == (
        "CANCELED",
        "FAILED",
    )
    # A failed refund stays failed: the money is not sent when the two days are up.
    assert await _refund_status(toss, payment_key) == "FAILED"


async def test_failure_switch_fails_a_partial_refund_as_partial_failed(
    toss: SandboxDriver,
) -> None:
    _, payment_key, _ = await toss.deposited_virtual_account(10_000)
    await toss.cancel(payment_key, 4_000, refundReceiveAccount=REFUND_ACCOUNT)

    failed = await toss.fail_refunds(payment_key)

    payment = failed.json()
    assert (payment["status"], payment["balanceAmount"]) == ("PARTIAL_CANCELED", 6_000)
    assert payment["virtualAccount"]["refundStatus"] == "PARTIAL_FAILED"


async def test_failure_switch_without_a_pending_refund_is_refused(
    toss: SandboxDriver, clock: MovableClock
) -> None:
    _, card_key, _ = await toss.paid_order()
    _, payment_key, _ = await toss.deposited_virtual_account()
    never_refunded = await toss.fail_refunds(payment_key)
    await toss.cancel(payment_key, refundReceiveAccount=REFUND_ACCOUNT)
    clock.advance(TWO_DAYS)

    already_sent = await toss.fail_refunds(payment_key)
    card = await toss.fail_refunds(card_key)
    unknown = await toss.fail_refunds("tgen_unknown")

    for refused in (never_refunded, already_sent, card):
        assert (refused.status_code, refused.json()["code"]) == (409, "NO_PENDING_REFUND")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND_PAYMENT")
    assert await _refund_status(toss, payment_key) == "COMPLETED"


async def test_card_cancel_ignores_a_refund_account_even_a_malformed_one(
    toss: SandboxDriver,
) -> None:
    _, payment_key, _ = await toss.paid_order()

    response = await toss.cancel(payment_key, refundReceiveAccount={"bank": "신한"})

    assert (response.status_code, response.json()["status"]) == (200, "CANCELED")
    assert (await toss.refunds(payment_key)).json() == {"refunds": []}


async def test_account_canceled_before_its_deposit_needs_no_refund_account_and_ignores_one(
    toss: SandboxDriver,
) -> None:
    _, payment_key, _ = await toss.issued_virtual_account()

    response = await toss.cancel(payment_key, refundReceiveAccount="not an account")

    assert response.status_code == 200
    payment = response.json()
    assert (payment["status"], payment["virtualAccount"]["refundStatus"]) == ("CANCELED", "NONE")
    assert (await toss.refunds(payment_key)).json() == {"refunds": []}


async def test_refund_sends_the_cancel_webhooks_and_none_when_it_completes(
    hooked: SandboxDriver, receiver: WebhookReceiver
) -> None:
    order_id, payment_key, _ = await hooked.deposited_virtual_account()
    canceled = (await hooked.cancel(payment_key, refundReceiveAccount=REFUND_ACCOUNT)).json()
    await hooked.deliver_webhooks()
    await hooked.advance_clock(TWO_DAYS.total_seconds())

    later = await hooked.deliver_webhooks()

    assert later == []
    assert receiver.events()[4:] == [
        ("PAYMENT_STATUS_CHANGED", "CANCELED"),
        ("DEPOSIT_CALLBACK", "CANCELED"),
    ]
    assert receiver.received[4].body["data"] == canceled
    assert receiver.received[4].body["data"]["virtualAccount"]["refundStatus"] == "PENDING"
    assert receiver.received[5].body == {
        "createdAt": "2025-03-01T12:00:00.000000",
        "secret": canceled["secret"],
        "status": "CANCELED",
        "transactionKey": canceled["lastTransactionKey"],
        "orderId": order_id,
    }
