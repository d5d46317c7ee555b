"""Ids become exactly one URL path segment, whatever characters they hold."""

from __future__ import annotations

import pytest
import respx

from toss_graphql.gateway import TossGateway

from .payloads import canceled_payment_json, payment_json


@pytest.mark.parametrize(
    ("payment_key", "raw_path"),
    [
        ("tgen_20250719214924SBTo2", b"/v1/payments/tgen_20250719214924SBTo2"),
        ("a/b", b"/v1/payments/a%2Fb"),
        ("a?b#c", b"/v1/payments/a%3Fb%23c"),
        ("a b", b"/v1/payments/a%20b"),
        ("100%", b"/v1/payments/100%25"),
        ("%2F", b"/v1/payments/%252F"),
        ("..", b"/v1/payments/%2E%2E"),
        ("키", b"/v1/payments/%ED%82%A4"),
    ],
)
async def test_get_payment_quotes_the_payment_key_as_one_segment(
    gateway: TossGateway, toss: respx.MockRouter, payment_key: str, raw_path: bytes
) -> None:
    route = toss.route().respond(200, json=payment_json(payment_key=payment_key))

    await gateway.get_payment(payment_key)

    assert route.calls.last.request.url.raw_path == raw_path


async def test_get_payment_by_order_id_quotes_the_order_id_as_one_segment(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.route().respond(200, json=payment_json(order_id="../confirm"))

    await gateway.get_payment_by_order_id("../confirm")

    assert route.calls.last.request.url.raw_path == b"/v1/payments/orders/..%2Fconfirm"


async def test_an_empty_payment_key_is_refused_before_any_request(gateway: TossGateway) -> None:
    with pytest.raises(ValueError, match="empty"):
        await gateway.get_payment("")


async def test_cancel_quotes_the_payment_key_as_one_segment(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    body = canceled_payment_json()
    body["paymentKey"] = "a/b"
    route = toss.route().respond(200, json=body)

    await gateway.cancel(
        payment_key="a/b",
        cancel_reason="고객 변심",
        cancel_amount=None,
        refundable_amount=None,
        idempotency_key="cancel-1",
    )

    assert route.calls.last.request.url.raw_path == b"/v1/payments/a%2Fb/cancel"
