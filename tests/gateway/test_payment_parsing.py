from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

from toss_graphql.domain.ports.gateway import (
    GatewayReplyInvalid,
    TossCancel,
    TossCancelStatus,
    TossFailure,
    TossPayment,
    TossPaymentStatus,
    VirtualAccount,
)
from toss_graphql.gateway import TossGateway

from .payloads import (
    AMOUNT,
    CANCEL_PATH,
    CANCEL_REASON,
    CONFIRM_PATH,
    ORDER_ID,
    PAYMENT_KEY,
    canceled_payment_json,
    partially_canceled_payment_json,
    payment_json,
)

KST = timezone(timedelta(hours=9))


async def confirm(gateway: TossGateway) -> None:
    await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)


async def test_confirm_reads_a_full_done_payment(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = payment_json()
    toss.post(CONFIRM_PATH).respond(200, json=body)

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.payment_key == PAYMENT_KEY
    assert payment.order_id == ORDER_ID
    assert payment.order_name == "토스 티셔츠 외 2건"
    assert payment.status == "DONE"
    assert payment.method == "카드"
    assert payment.total_amount == AMOUNT
    assert payment.balance_amount == AMOUNT
    assert payment.approved_at == datetime(2024, 2, 13, 12, 18, 14, tzinfo=KST)
    assert payment.receipt_url == body["receipt"]["url"]
    assert payment.cancels == ()
    assert payment.status is TossPaymentStatus.DONE
    assert payment.last_transaction_key == body["lastTransactionKey"]
    assert (payment.failure, payment.virtual_account, payment.secret) == (None, None, None)
    assert payment.raw == body


async def test_whole_amounts_sent_as_json_floats_are_read_as_ints(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.post(CONFIRM_PATH).respond(200, json=payment_json(amount=10000.0))

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.total_amount == AMOUNT
    assert type(payment.total_amount) is int
    assert type(payment.balance_amount) is int


async def test_get_payment_reads_cancels_with_aware_timestamps(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = canceled_payment_json()
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=body)

    payment = await gateway.get_payment(PAYMENT_KEY)

    assert payment.status == "CANCELED"
    assert payment.balance_amount == 0
    assert payment.cancels == (
        TossCancel(
            transaction_key="B7103F204998813B889C77C043D09502",
            cancel_amount=AMOUNT,
            cancel_reason="고객 변심",
            canceled_at=datetime(2024, 2, 13, 12, 20, 23, tzinfo=KST),
            refundable_amount=0,
            cancel_status=TossCancelStatus.DONE,
            raw=body["cancels"][0],
        ),
    )


async def test_a_partial_cancel_reads_every_cancel_of_the_payment(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = partially_canceled_payment_json()
    toss.post(CANCEL_PATH).respond(200, json=body)

    payment = await gateway.cancel(
        payment_key=PAYMENT_KEY,
        cancel_reason=CANCEL_REASON,
        cancel_amount=2000,
        refundable_amount=7000,
        idempotency_key="cancel-partial-2",
    )

    assert (payment.status, payment.total_amount, payment.balance_amount) == (
        "PARTIAL_CANCELED",
        AMOUNT,
        5000,
    )
    first, second = payment.cancels
    assert (first.cancel_amount, first.refundable_amount) == (3000, 7000)
    assert (second.cancel_amount, second.refundable_amount) == (2000, 5000)
    assert first.canceled_at == datetime(2024, 2, 13, 13, 2, 45, tzinfo=KST)
    assert second.canceled_at == datetime(2024, 2, 14, 9, 15, 3, tzinfo=KST)
    assert second.canceled_at.utcoffset() == timedelta(hours=9)
    assert (second.transaction_key, second.cancel_reason, second.cancel_status) == (
        body["lastTransactionKey"],
        CANCEL_REASON,
        "DONE",
    )
    assert [cancel.raw for cancel in payment.cancels] == body["cancels"]


async def test_a_cancel_entry_keeps_fields_it_does_not_read_in_a_plain_dict(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = canceled_payment_json()
    body["cancels"][0]["cancelRequestId"] = "crq_20240213_0001"
    body["cancels"][0]["someFieldTossAddsLater"] = {"nested": [1, 2]}
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=body)

    (cancel,) = (await gateway.get_payment(PAYMENT_KEY)).cancels

    assert type(cancel.raw) is dict
    assert cancel.raw == body["cancels"][0]


async def test_a_payment_not_yet_approved_has_no_approval_time_or_receipt(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = payment_json()
    body.update(status="IN_PROGRESS", approvedAt=None, receipt=None, method=None)
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=body)

    payment = await gateway.get_payment(PAYMENT_KEY)

    assert (payment.approved_at, payment.receipt_url, payment.method) == (None, None, None)


async def test_malformed_json_on_200_is_an_invalid_reply_and_not_retried(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).respond(200, content=b'{"paymentKey": ')

    with pytest.raises(GatewayReplyInvalid, match="not JSON"):
        await confirm(gateway)
    assert route.call_count == 1


async def test_a_json_array_on_200_is_an_invalid_reply(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.post(CONFIRM_PATH).respond(200, json=[payment_json()])

    with pytest.raises(GatewayReplyInvalid, match="not an object"):
        await confirm(gateway)


async def test_a_payment_without_total_amount_is_an_invalid_reply(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = payment_json()
    del body["totalAmount"]
    toss.post(CONFIRM_PATH).respond(200, json=body)

    with pytest.raises(GatewayReplyInvalid, match="totalAmount"):
        await confirm(gateway)


@pytest.mark.parametrize("amount", [10000.5, "10000", True, None, -10000], ids=repr)
async def test_an_amount_that_is_not_a_whole_number_is_an_invalid_reply(
    gateway: TossGateway, toss: respx.MockRouter, amount: Any
) -> None:
    body = payment_json()
    body["balanceAmount"] = amount
    toss.post(CONFIRM_PATH).respond(200, json=body)

    with pytest.raises(GatewayReplyInvalid, match="balanceAmount"):
        await confirm(gateway)


@pytest.mark.parametrize("approved_at", ["2024-02-13T12:18:14", "yesterday", 1707794294])
async def test_an_approval_time_without_offset_or_not_iso_is_an_invalid_reply(
    gateway: TossGateway, toss: respx.MockRouter, approved_at: object
) -> None:
    body = payment_json()
    body["approvedAt"] = approved_at
    toss.post(CONFIRM_PATH).respond(200, json=body)

    with pytest.raises(GatewayReplyInvalid, match="approvedAt"):
        await confirm(gateway)


async def test_a_cancel_entry_missing_its_transaction_key_is_an_invalid_reply(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = canceled_payment_json()
    del body["cancels"][0]["transactionKey"]
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=body)

    with pytest.raises(GatewayReplyInvalid, match="transactionKey"):
        await gateway.get_payment(PAYMENT_KEY)


async def test_a_200_with_an_empty_body_is_an_invalid_reply(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.post(CONFIRM_PATH).mock(return_value=httpx.Response(200))

    with pytest.raises(GatewayReplyInvalid):
        await confirm(gateway)


async def test_unstorable_characters_in_a_reply_are_replaced_not_refused(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    # A customer name typed into a virtual-account form may carry a NUL, which PostgreSQL's
    # JSONB cannot hold; the approval itself must still be read and recorded.
    body = payment_json()
    body["virtualAccount"] = {"customerName": "홍\x00길동\ud800", "accountNumber": "X1234\x07"}
    toss.post(CONFIRM_PATH).respond(
        200, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )

    payment = await confirm_and_return(gateway)

    assert payment.raw["virtualAccount"] == {
        "customerName": "홍\ufffd길동\ufffd",
        "accountNumber": "X1234\ufffd",
    }
    assert payment.status == "DONE"


async def test_a_deeply_nested_reply_is_not_a_payment(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    nested = "[" * 2000 + "]" * 2000
    toss.post(CONFIRM_PATH).respond(200, content=('{"a":' + nested + "}").encode())

    with pytest.raises(GatewayReplyInvalid):
        await confirm(gateway)


async def confirm_and_return(gateway: TossGateway) -> TossPayment:
    return await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)


async def test_a_virtual_account_payment_is_read_with_its_account_and_secret(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = payment_json()
    body.update(
        status="WAITING_FOR_DEPOSIT",
        method="가상계좌",
        approvedAt=None,
        secret="ps_eqRGgYO1r57E4Z541ZMW3QnN2Eya",
        virtualAccount={
            "accountType": "일반",
            "accountNumber": "X6516657019137",
            "bankCode": "20",
            "customerName": "김토스",
            "depositorName": "김토스",
            "dueDate": "2024-02-20T23:59:59",
            "refundStatus": "NONE",
            "expired": False,
            "settlementStatus": "INCOMPLETED",
            "refundReceiveAccount": None,
        },
    )
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=body)

    payment = await gateway.get_payment(PAYMENT_KEY)

    assert payment.status is TossPaymentStatus.WAITING_FOR_DEPOSIT
    assert payment.virtual_account == VirtualAccount(
        account_number="X6516657019137",
        bank_code="20",
        customer_name="김토스",
        due_date="2024-02-20T23:59:59",
    )
    assert payment.secret == "ps_eqRGgYO1r57E4Z541ZMW3QnN2Eya"


async def test_an_expired_payment_is_read_with_its_failure(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = payment_json()
    body.update(
        status="EXPIRED",
        approvedAt=None,
        failure={"code": "EXPIRED_PAYMENT", "message": "결제가 만료되었습니다."},
    )
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=body)

    payment = await gateway.get_payment(PAYMENT_KEY)

    assert payment.status is TossPaymentStatus.EXPIRED
    assert payment.failure == TossFailure("EXPIRED_PAYMENT", "결제가 만료되었습니다.")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("failure", "COMMON_ERROR"),
        ("failure", {"code": 5, "message": "x"}),
        ("failure", {"code": "", "message": "x"}),
        ("virtualAccount", ["X1234"]),
        ("virtualAccount", {"accountNumber": 1234}),
        ("secret", 12345),
        ("lastTransactionKey", {"key": "x"}),
    ],
    ids=repr,
)
async def test_an_odd_explanatory_field_is_read_as_absent_not_refused(
    gateway: TossGateway, toss: respx.MockRouter, field: str, value: object
) -> None:
    # These explain a payment, they do not decide it: an approval Toss made is still read.
    body = payment_json()
    body[field] = value
    toss.post(CONFIRM_PATH).respond(200, json=body)

    payment = await confirm_and_return(gateway)

    assert payment.status is TossPaymentStatus.DONE
    assert (payment.failure, payment.virtual_account) == (None, None)
    assert (payment.secret, payment.last_transaction_key) == (
        None if field == "secret" else body["secret"],
        None if field == "lastTransactionKey" else body["lastTransactionKey"],
    )


async def test_a_failure_without_a_message_keeps_its_code(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = payment_json()
    body.update(status="ABORTED", approvedAt=None, failure={"code": "COMMON_ERROR"})
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=body)

    payment = await gateway.get_payment(PAYMENT_KEY)

    assert payment.failure == TossFailure("COMMON_ERROR", "")


@pytest.mark.parametrize("status", ["SETTLED", "done", "", None, 3])
async def test_a_status_this_service_does_not_know_is_an_invalid_reply(
    gateway: TossGateway, toss: respx.MockRouter, status: object
) -> None:
    # Acting on a status there is no rule for would be a guess: the reply is unusable, so a
    # confirm stays pending and reconciliation reads the payment again later.
    body = payment_json()
    body["status"] = status
    toss.post(CONFIRM_PATH).respond(200, json=body)

    with pytest.raises(GatewayReplyInvalid, match="payment `status`") as refused:
        await confirm(gateway)
    if isinstance(status, str) and status:
        assert status not in str(refused.value), "messages name the field, never its value"


async def test_a_cancel_status_this_service_does_not_know_is_an_invalid_reply(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = canceled_payment_json()
    body["cancels"][0]["cancelStatus"] = "REFUNDING"
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=body)

    with pytest.raises(GatewayReplyInvalid, match="cancel `cancelStatus`"):
        await gateway.get_payment(PAYMENT_KEY)
