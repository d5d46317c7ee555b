"""Derived Idempotency-Keys: the same one on every retry of a confirm, and per-owner cancel keys."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from toss_graphql.gateway import TossGateway, confirm_idempotency_key
from toss_graphql.gateway.idempotency import MAX_IDEMPOTENCY_KEY_LENGTH

from .payloads import AMOUNT, CONFIRM_PATH, ORDER_ID, PAYMENT_KEY, payment_json, toss_error

KEY = confirm_idempotency_key(ORDER_ID, PAYMENT_KEY, AMOUNT)


def test_the_key_is_deterministic_and_within_tosss_length_limit() -> None:
    assert confirm_idempotency_key(ORDER_ID, PAYMENT_KEY, AMOUNT) == KEY
    assert KEY.startswith("confirm-")
    assert len(KEY) <= MAX_IDEMPOTENCY_KEY_LENGTH


def test_the_key_of_a_200_char_payment_key_is_still_short() -> None:
    key = confirm_idempotency_key("o" * 64, "p" * 200, 10**12)

    assert len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH


@pytest.mark.parametrize(
    ("order_id", "payment_key", "amount"),
    [
        ("order_20240213_0002", PAYMENT_KEY, AMOUNT),
        (ORDER_ID, PAYMENT_KEY + "x", AMOUNT),
        (ORDER_ID, PAYMENT_KEY, AMOUNT + 1),
    ],
    ids=["orderId", "paymentKey", "amount"],
)
def test_the_key_differs_when_any_field_differs(
    order_id: str, payment_key: str, amount: int
) -> None:
    assert confirm_idempotency_key(order_id, payment_key, amount) != KEY


def test_moving_characters_between_fields_changes_the_key() -> None:
    assert confirm_idempotency_key("order_1", "23", 5) != confirm_idempotency_key(
        "order_", "123", 5
    )


async def test_confirm_sends_the_derived_key(gateway: TossGateway, toss: respx.MockRouter) -> None:
    route = toss.post(CONFIRM_PATH).respond(200, json=payment_json())

    await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    assert route.calls.last.request.headers["Idempotency-Key"] == KEY


async def test_every_retry_of_a_confirm_reuses_the_same_key_and_body(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).mock(
        side_effect=[
            httpx.ConnectError("connection refused"),
            httpx.Response(409, json=toss_error("IDEMPOTENT_REQUEST_PROCESSING", "처리중")),
            httpx.Response(200, json=payment_json()),
        ]
    )

    await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    requests = [call.request for call in route.calls]
    assert [request.headers["Idempotency-Key"] for request in requests] == [KEY, KEY, KEY]
    assert len({request.content for request in requests}) == 1


async def test_confirm_body_names_the_checkout_in_tosss_fields(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.post(CONFIRM_PATH).respond(200, json=payment_json())

    await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    sent = route.calls.last.request
    assert sent.method == "POST"
    assert json.loads(sent.content) == {
        "paymentKey": PAYMENT_KEY,
        "orderId": ORDER_ID,
        "amount": AMOUNT,
    }


async def test_reads_send_no_idempotency_key(gateway: TossGateway, toss: respx.MockRouter) -> None:
    route = toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=payment_json())

    await gateway.get_payment(PAYMENT_KEY)

    assert "Idempotency-Key" not in route.calls.last.request.headers
