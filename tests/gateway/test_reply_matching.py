"""A 2xx about another payment is not an answer to the request: `GatewayReplyInvalid`."""

from __future__ import annotations

import pytest
import respx

from toss_graphql.domain.ports.gateway import GatewayReplyInvalid
from toss_graphql.gateway import TossGateway

from .payloads import AMOUNT, CONFIRM_PATH, ORDER_ID, PAYMENT_KEY, payment_json


async def test_a_confirm_reply_for_another_order_is_invalid(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).respond(200, json=payment_json(order_id="order_20240213_9999"))

    with pytest.raises(GatewayReplyInvalid, match="orderId"):
        await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)
    assert route.call_count == 1


async def test_a_confirm_reply_for_another_amount_is_invalid(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.post(CONFIRM_PATH).respond(200, json=payment_json(amount=100))

    with pytest.raises(GatewayReplyInvalid, match="totalAmount"):
        await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)


async def test_a_confirm_reply_for_another_payment_key_is_invalid(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.post(CONFIRM_PATH).respond(200, json=payment_json(payment_key="tgen_20250719214924SBTo2"))

    with pytest.raises(GatewayReplyInvalid, match="paymentKey"):
        await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)


async def test_a_confirm_reply_with_a_status_other_than_done_is_returned_as_is(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = payment_json()
    body["status"] = "WAITING_FOR_DEPOSIT"
    toss.post(CONFIRM_PATH).respond(200, json=body)

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.status == "WAITING_FOR_DEPOSIT"


async def test_getting_a_payment_that_answers_with_another_key_is_invalid(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(
        200, json=payment_json(payment_key="tgen_20250719214924SBTo2")
    )

    with pytest.raises(GatewayReplyInvalid, match="paymentKey"):
        await gateway.get_payment(PAYMENT_KEY)


async def test_getting_an_order_that_answers_with_another_order_is_invalid(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.get(f"/v1/payments/orders/{ORDER_ID}").respond(
        200, json=payment_json(order_id="order_20240213_9999")
    )

    with pytest.raises(GatewayReplyInvalid, match="orderId"):
        await gateway.get_payment_by_order_id(ORDER_ID)
