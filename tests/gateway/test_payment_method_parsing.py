"""Toss's method objects (`card`, `easyPay`, `transfer`, `mobilePhone`) read from its replies
into the typed records the domain stores and shows (toss-api.md §3)."""

from __future__ import annotations

import respx

from toss_graphql.domain.ports.gateway import (
    EasyPay,
    MobilePhone,
    PaymentCard,
    TossPaymentStatus,
    Transfer,
)
from toss_graphql.gateway import TossGateway

from .payloads import (
    AMOUNT,
    CONFIRM_PATH,
    ORDER_ID,
    PAYMENT_KEY,
    easy_pay_payment_json,
    mobile_phone_payment_json,
    payment_json,
    transfer_payment_json,
)


async def test_a_card_payment_is_read_with_its_card_and_nothing_else(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.post(CONFIRM_PATH).respond(200, json=payment_json())

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.card == PaymentCard(
        issuer_code="71",
        number="12345678****000*",
        installment_plan_months=0,
        approve_no="00000000",
    )
    assert (payment.easy_pay, payment.transfer, payment.mobile_phone) == (None, None, None)


async def test_an_easy_payment_is_read_with_its_provider_and_amounts(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.post(CONFIRM_PATH).respond(200, json=easy_pay_payment_json())

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.status is TossPaymentStatus.DONE
    assert payment.method == "간편결제"
    assert payment.easy_pay == EasyPay(provider="토스페이", amount=AMOUNT, discount_amount=0)
    assert payment.card is None


async def test_a_transfer_is_read_with_its_bank_code(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.post(CONFIRM_PATH).respond(200, json=transfer_payment_json())

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.method == "계좌이체"
    assert payment.transfer == Transfer(bank_code="88")
    assert (payment.card, payment.easy_pay) == (None, None)


async def test_a_mobile_phone_payment_is_read_with_the_number_kept_out_of_its_repr(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = mobile_phone_payment_json()
    toss.post(CONFIRM_PATH).respond(200, json=body)

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.method == "휴대폰"
    assert payment.mobile_phone == MobilePhone(
        customer_mobile_phone="01012345678", receipt_url=body["mobilePhone"]["receiptUrl"]
    )
    assert "01012345678" not in repr(payment.mobile_phone)


async def test_an_easy_payment_amount_sent_as_a_json_float_is_read_as_an_int(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = easy_pay_payment_json()
    body["easyPay"].update(amount=9000.0, discountAmount=1000.0)
    toss.post(CONFIRM_PATH).respond(200, json=body)

    easy_pay = (
        await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)
    ).easy_pay

    assert easy_pay == EasyPay(provider="토스페이", amount=9000, discount_amount=1000)
    assert type(easy_pay.amount) is type(easy_pay.discount_amount) is int


async def test_odd_method_objects_are_read_as_absent_and_the_approval_still_read(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    # They explain a payment, they do not decide it: an approval Toss made is still read.
    body = payment_json()
    body.update(
        card="43301234****123*",
        easyPay={"provider": "토스페이", "amount": "10000", "discountAmount": 0},
        transfer=["88"],
        mobilePhone=1012345678,
    )
    toss.post(CONFIRM_PATH).respond(200, json=body)

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.status is TossPaymentStatus.DONE
    assert (payment.card, payment.easy_pay, payment.transfer, payment.mobile_phone) == (
        None,
        None,
        None,
        None,
    )
    assert payment.raw == body
