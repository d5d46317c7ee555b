"""No usable answer: retried up to `max_attempts` in all, then `GatewayTechnicalError`."""

from __future__ import annotations

import httpx
import pytest
import respx

from toss_graphql.domain.ports.gateway import GatewayReplyInvalid, GatewayTechnicalError
from toss_graphql.gateway import TossGateway, TossGatewayConfig, create_http_client

from .payloads import AMOUNT, CONFIRM_PATH, ORDER_ID, PAYMENT_KEY, payment_json, toss_error

PROCESSING = toss_error("IDEMPOTENT_REQUEST_PROCESSING", "이전 멱등 요청이 처리중입니다.")
COMMON_ERROR = toss_error(
    "COMMON_ERROR", "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요."
)


async def confirm(gateway: TossGateway) -> None:
    await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)


async def test_a_running_idempotent_request_is_asked_again_until_it_answers(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).mock(
        side_effect=[httpx.Response(409, json=PROCESSING), httpx.Response(200, json=payment_json())]
    )

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.status == "DONE"
    assert route.call_count == 2


async def test_repeated_common_errors_give_a_technical_error_after_max_attempts(
    gateway: TossGateway, toss: respx.MockRouter, config: TossGatewayConfig
) -> None:
    route = toss.post(CONFIRM_PATH).respond(500, json=COMMON_ERROR)

    with pytest.raises(GatewayTechnicalError) as raised:
        await confirm(gateway)

    assert not isinstance(raised.value, GatewayReplyInvalid)
    assert "HTTP 500 COMMON_ERROR" in str(raised.value)
    assert route.call_count == config.max_attempts == 3


async def test_a_service_unavailable_followed_by_success_succeeds(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=payment_json())]
    )

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.payment_key == PAYMENT_KEY
    assert route.call_count == 2


async def test_a_connect_error_is_retried_then_reported_as_technical(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).mock(side_effect=httpx.ConnectError)

    with pytest.raises(GatewayTechnicalError, match="ConnectError"):
        await confirm(gateway)
    assert route.call_count == 3


async def test_a_read_timeout_is_retried_then_reported_as_technical(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.get(f"/v1/payments/{PAYMENT_KEY}").mock(side_effect=httpx.ReadTimeout)

    with pytest.raises(GatewayTechnicalError, match="ReadTimeout"):
        await gateway.get_payment(PAYMENT_KEY)
    assert route.call_count == 3


async def test_a_read_timeout_followed_by_success_succeeds(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(200, json=payment_json())]
    )

    payment = await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert payment.status == "DONE"
    assert route.call_count == 2


async def test_too_many_requests_is_retried(gateway: TossGateway, toss: respx.MockRouter) -> None:
    route = toss.get(f"/v1/payments/{PAYMENT_KEY}").mock(
        side_effect=[httpx.Response(429), httpx.Response(200, json=payment_json())]
    )

    await gateway.get_payment(PAYMENT_KEY)

    assert route.call_count == 2


async def test_a_400_with_an_html_body_is_technical_not_a_rejection(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).respond(
        400, html="<html><body><h1>400 Bad Request</h1></body></html>"
    )

    with pytest.raises(GatewayTechnicalError, match="HTTP 400 without a Toss error body"):
        await confirm(gateway)
    assert route.call_count == 3


async def test_a_single_attempt_config_never_retries(
    toss: respx.MockRouter, config: TossGatewayConfig
) -> None:
    single = TossGatewayConfig(base_url=config.base_url, secret_key="test_sk_x", max_attempts=1)
    route = toss.post(CONFIRM_PATH).respond(502)

    async with create_http_client(single) as http_client:
        with pytest.raises(GatewayTechnicalError, match="after 1 attempt"):
            await TossGateway(http_client, single).confirm(
                payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT
            )
    assert route.call_count == 1
