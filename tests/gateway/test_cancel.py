"""`POST /v1/payments/{paymentKey}/cancel`: body, Idempotency-Key, retries and rejections."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import respx

from toss_graphql.domain.ports.gateway import (
    GatewayRejected,
    GatewayReplyInvalid,
    GatewayTechnicalError,
    TossPayment,
)
from toss_graphql.gateway import TossGateway, TossGatewayConfig, create_http_client

from .payloads import (
    AMOUNT,
    CANCEL_PATH,
    CANCEL_REASON,
    PAYMENT_KEY,
    canceled_payment_json,
    partially_canceled_payment_json,
    payment_json,
    toss_error,
)

IDEMPOTENCY_KEY = "cancel-3f1c2a9e-6d7b-4e58-9a0c-1b2d3e4f5a6b"
PROCESSING = toss_error("IDEMPOTENT_REQUEST_PROCESSING", "이전 멱등 요청이 처리중입니다.")
CONSECUTIVE = toss_error("FORBIDDEN_CONSECUTIVE_REQUEST", "반복적인 요청은 허용되지 않습니다.")


async def cancel_in_full(
    gateway: TossGateway, *, idempotency_key: str = IDEMPOTENCY_KEY
) -> TossPayment:
    return await gateway.cancel(
        payment_key=PAYMENT_KEY,
        cancel_reason=CANCEL_REASON,
        cancel_amount=None,
        refundable_amount=AMOUNT,
        idempotency_key=idempotency_key,
    )


async def test_a_full_cancel_sends_no_cancel_amount(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CANCEL_PATH).respond(200, json=canceled_payment_json())

    payment = await cancel_in_full(gateway)

    assert json.loads(route.calls.last.request.content) == {
        "cancelReason": CANCEL_REASON,
        "refundableAmount": AMOUNT,
    }
    assert (payment.status, payment.balance_amount) == ("CANCELED", 0)


async def test_a_cancel_without_a_refundable_amount_sends_only_the_reason(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CANCEL_PATH).respond(200, json=canceled_payment_json())

    await gateway.cancel(
        payment_key=PAYMENT_KEY,
        cancel_reason=CANCEL_REASON,
        cancel_amount=None,
        refundable_amount=None,
        idempotency_key=IDEMPOTENCY_KEY,
    )

    assert json.loads(route.calls.last.request.content) == {"cancelReason": CANCEL_REASON}


async def test_a_partial_cancel_sends_cancel_amount_and_refundable_amount(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CANCEL_PATH).respond(200, json=partially_canceled_payment_json())

    payment = await gateway.cancel(
        payment_key=PAYMENT_KEY,
        cancel_reason=CANCEL_REASON,
        cancel_amount=2000,
        refundable_amount=7000,
        idempotency_key=IDEMPOTENCY_KEY,
    )

    sent = route.calls.last.request
    assert sent.method == "POST"
    assert json.loads(sent.content) == {
        "cancelReason": CANCEL_REASON,
        "cancelAmount": 2000,
        "refundableAmount": 7000,
    }
    assert (payment.status, payment.balance_amount) == ("PARTIAL_CANCELED", 5000)


async def test_the_idempotency_key_is_sent_and_reused_across_a_500_then_200_retry(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CANCEL_PATH).mock(
        side_effect=[
            httpx.Response(500, json=toss_error("FAILED_REFUND_PROCESS", "은행 응답시간 지연")),
            httpx.Response(200, json=canceled_payment_json()),
        ]
    )

    await cancel_in_full(gateway)

    requests = [call.request for call in route.calls]
    assert [request.headers["Idempotency-Key"] for request in requests] == [
        IDEMPOTENCY_KEY,
        IDEMPOTENCY_KEY,
    ]
    assert len({request.content for request in requests}) == 1


@pytest.mark.parametrize(
    ("http_status", "code", "message"),
    [
        (403, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다."),
        (400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다."),
        (400, "NOT_MATCHES_REFUNDABLE_AMOUNT", "잔액 결과가 일치하지 않습니다."),
        (403, "NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다."),
    ],
    ids=[
        "NOT_CANCELABLE_AMOUNT",
        "ALREADY_CANCELED_PAYMENT",
        "NOT_MATCHES_REFUNDABLE_AMOUNT",
        "NOT_CANCELABLE_PAYMENT",
    ],
)
async def test_a_refused_cancel_is_rejected_after_exactly_one_request(
    gateway: TossGateway, toss: respx.MockRouter, http_status: int, code: str, message: str
) -> None:
    route = toss.post(CANCEL_PATH).respond(http_status, json=toss_error(code, message))

    with pytest.raises(GatewayRejected) as raised:
        await cancel_in_full(gateway)

    assert (raised.value.code, raised.value.http_status) == (code, http_status)
    assert raised.value.message == message
    assert route.call_count == 1


async def test_a_consecutive_request_refused_on_the_first_attempt_is_rejected_not_retried(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    # Another cancel of this payment arrived within the second before: ours was not applied.
    # Trying again, after a second, is the caller's decision.
    route = toss.post(CANCEL_PATH).respond(403, json=CONSECUTIVE)

    with pytest.raises(GatewayRejected) as raised:
        await cancel_in_full(gateway)

    assert (raised.value.code, raised.value.http_status) == ("FORBIDDEN_CONSECUTIVE_REQUEST", 403)
    assert route.call_count == 1


async def test_a_consecutive_request_refused_on_a_retry_is_retried(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    # The refusal may be about our own first attempt, whose outcome is unknown; the next
    # attempt gets Toss's answer to it through the Idempotency-Key.
    route = toss.post(CANCEL_PATH).mock(
        side_effect=[
            httpx.ReadTimeout("timed out"),
            httpx.Response(403, json=CONSECUTIVE),
            httpx.Response(200, json=canceled_payment_json()),
        ]
    )

    payment = await cancel_in_full(gateway)

    assert payment.status == "CANCELED"
    assert route.call_count == 3


async def test_consecutive_request_refusals_on_every_retry_leave_the_outcome_unknown(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CANCEL_PATH).mock(
        side_effect=[
            httpx.Response(500, json=toss_error("COMMON_ERROR", "일시적인 오류")),
            httpx.Response(403, json=CONSECUTIVE),
            httpx.Response(403, json=CONSECUTIVE),
        ]
    )

    with pytest.raises(GatewayTechnicalError, match="FORBIDDEN_CONSECUTIVE_REQUEST") as raised:
        await cancel_in_full(gateway)

    assert not isinstance(raised.value, GatewayReplyInvalid)
    assert route.call_count == 3


async def test_a_running_idempotent_cancel_is_asked_again_until_it_answers(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CANCEL_PATH).mock(
        side_effect=[
            httpx.Response(409, json=PROCESSING),
            httpx.Response(200, json=canceled_payment_json()),
        ]
    )

    payment = await cancel_in_full(gateway)

    assert payment.status == "CANCELED"
    assert route.call_count == 2


async def test_timeouts_give_a_technical_error_after_max_attempts(
    gateway: TossGateway, toss: respx.MockRouter, config: TossGatewayConfig
) -> None:
    route = toss.post(CANCEL_PATH).mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(GatewayTechnicalError, match="ReadTimeout") as raised:
        await cancel_in_full(gateway)

    assert not isinstance(raised.value, GatewayReplyInvalid)
    assert route.call_count == config.max_attempts == 3


async def test_cancel_retries_are_spaced_by_the_configured_interval(
    toss: respx.MockRouter, config: TossGatewayConfig
) -> None:
    spaced = TossGatewayConfig(
        base_url=config.base_url,
        secret_key="test_sk_x",
        backoff_seconds=0,
        cancel_retry_spacing_seconds=0.05,
    )
    sent_at: list[float] = []

    def reply(request: httpx.Request) -> httpx.Response:
        sent_at.append(time.monotonic())
        if len(sent_at) == 1:
            return httpx.Response(500, json=toss_error("COMMON_ERROR", "일시적인 오류"))
        return httpx.Response(200, json=canceled_payment_json())

    toss.post(CANCEL_PATH).mock(side_effect=reply)

    async with create_http_client(spaced) as http_client:
        await cancel_in_full(TossGateway(http_client, spaced))

    assert sent_at[1] - sent_at[0] >= 0.05


async def test_a_cancel_reply_for_another_payment_key_is_invalid(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = canceled_payment_json()
    body["paymentKey"] = "tgen_20250719214924SBTo2"
    route = toss.post(CANCEL_PATH).respond(200, json=body)

    with pytest.raises(GatewayReplyInvalid, match="paymentKey"):
        await cancel_in_full(gateway)
    assert route.call_count == 1


@pytest.mark.parametrize("cancels", [None, []], ids=["null", "empty"])
async def test_a_successful_cancel_reply_without_cancels_is_invalid(
    gateway: TossGateway, toss: respx.MockRouter, cancels: list[object] | None
) -> None:
    body = payment_json()
    body["cancels"] = cancels
    route = toss.post(CANCEL_PATH).respond(200, json=body)

    with pytest.raises(GatewayReplyInvalid, match="cancels"):
        await cancel_in_full(gateway)
    assert route.call_count == 1


@pytest.mark.parametrize(
    "idempotency_key",
    ["k" * 301, "", "멱등키", "key\r\nX-Injected: 1", " key"],
    ids=["301-chars", "empty", "not-ascii", "crlf", "leading-space"],
)
async def test_an_unusable_idempotency_key_is_refused_before_any_request(
    gateway: TossGateway, toss: respx.MockRouter, idempotency_key: str
) -> None:
    with pytest.raises(ValueError, match="Idempotency-Key"):
        await cancel_in_full(gateway, idempotency_key=idempotency_key)
    assert toss.calls.call_count == 0


async def test_a_300_character_idempotency_key_is_sent(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CANCEL_PATH).respond(200, json=canceled_payment_json())

    await cancel_in_full(gateway, idempotency_key="k" * 300)

    assert route.calls.last.request.headers["Idempotency-Key"] == "k" * 300


async def test_an_empty_payment_key_is_refused_before_any_request(gateway: TossGateway) -> None:
    with pytest.raises(ValueError, match="empty"):
        await gateway.cancel(
            payment_key="",
            cancel_reason=CANCEL_REASON,
            cancel_amount=None,
            refundable_amount=None,
            idempotency_key=IDEMPOTENCY_KEY,
        )
