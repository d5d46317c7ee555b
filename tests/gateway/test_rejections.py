"""Toss answered and said no: `GatewayRejected`, sent once, never retried."""

from __future__ import annotations

import pytest
import respx

from toss_graphql.domain.ports.gateway import GatewayRejected
from toss_graphql.gateway import TossGateway

from .payloads import AMOUNT, CONFIRM_PATH, ORDER_ID, PAYMENT_KEY, toss_error


async def test_already_processed_payment_is_rejected_after_exactly_one_request(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).respond(
        400, json=toss_error("ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.")
    )

    with pytest.raises(GatewayRejected) as raised:
        await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert (raised.value.code, raised.value.http_status) == ("ALREADY_PROCESSED_PAYMENT", 400)
    assert raised.value.message == "이미 처리된 결제 입니다."
    assert route.call_count == 1


async def test_a_declined_card_is_rejected(gateway: TossGateway, toss: respx.MockRouter) -> None:
    route = toss.post(CONFIRM_PATH).respond(
        403,
        json=toss_error("REJECT_CARD_PAYMENT", "한도초과 혹은 잔액부족으로 결제에 실패했습니다."),
    )

    with pytest.raises(GatewayRejected) as raised:
        await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert (raised.value.code, raised.value.http_status) == ("REJECT_CARD_PAYMENT", 403)
    assert route.call_count == 1


async def test_an_unknown_secret_key_is_rejected(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).respond(
        401,
        json=toss_error("UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."),
    )

    with pytest.raises(GatewayRejected) as raised:
        await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert (raised.value.code, raised.value.http_status) == ("UNAUTHORIZED_KEY", 401)
    assert route.call_count == 1


async def test_getting_an_unknown_payment_is_rejected_as_not_found(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(
        404, json=toss_error("NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
    )

    with pytest.raises(GatewayRejected) as raised:
        await gateway.get_payment(PAYMENT_KEY)

    assert (raised.value.code, raised.value.http_status) == ("NOT_FOUND_PAYMENT", 404)
    assert route.call_count == 1


async def test_getting_an_unknown_order_is_rejected_as_not_found(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    toss.get(f"/v1/payments/orders/{ORDER_ID}").respond(
        404, json=toss_error("NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
    )

    with pytest.raises(GatewayRejected) as raised:
        await gateway.get_payment_by_order_id(ORDER_ID)

    assert raised.value.code == "NOT_FOUND_PAYMENT"


async def test_a_conflict_other_than_a_running_idempotent_request_is_rejected(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).respond(
        409, json=toss_error("DUPLICATED_REQUEST", "중복된 요청입니다.")
    )

    with pytest.raises(GatewayRejected):
        await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)
    assert route.call_count == 1
