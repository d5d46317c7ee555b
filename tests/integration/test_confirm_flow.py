"""createOrder -> sandbox checkout -> confirmPayment -> order, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.audit_log import audit_log
from tests.support.flows import (
    ORDER,
    checkout,
    confirm,
    confirm_calls,
    create_order,
    graphql,
)

pytestmark = pytest.mark.usefixtures("catalog")


@pytest.fixture
async def order(api: httpx.AsyncClient, alice: str) -> dict[str, Any]:
    return await create_order(api, alice, {"lines": [{"sku": "cafe-latte", "quantity": 2}]})


async def test_paid_order_shows_its_payment(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    assert (order["amount"], order["status"]) == (10000, "PENDING")
    redirect = await checkout(sandbox_client, order)
    payload = await confirm(api, alice, redirect)
    assert payload["errors"] == []
    assert payload["order"]["status"] == "PAID"
    assert payload["payment"]["paymentKey"] == redirect["paymentKey"]
    assert payload["payment"]["totalAmount"] == payload["payment"]["balanceAmount"] == 10000

    body = await graphql(api, ORDER, {"orderId": order["orderId"]}, alice)
    shown = body["data"]["order"]
    assert shown["status"] == "PAID"
    assert shown["payment"]["paymentKey"] == redirect["paymentKey"]
    assert shown["payment"]["receiptUrl"]

    at_toss = await sandbox_client.get(
        f"/v1/payments/{redirect['paymentKey']}", auth=("test_sk_sandbox", "")
    )
    assert at_toss.json()["status"] == "DONE"


async def test_tampered_amount_is_refused_before_any_toss_call(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    redirect = await checkout(sandbox_client, order)
    before = await confirm_calls(sandbox_client)
    payload = await confirm(api, alice, redirect, amount=100)
    assert [error["code"] for error in payload["errors"]] == ["AMOUNT_MISMATCH"]
    assert payload["order"]["status"] == "PENDING"
    assert await confirm_calls(sandbox_client) == before


async def test_repeated_confirm_returns_the_stored_payment_without_calling_toss(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    redirect = await checkout(sandbox_client, order)
    first = await confirm(api, alice, redirect)
    calls = await confirm_calls(sandbox_client)
    again = await confirm(api, alice, redirect)
    assert again["errors"] == []
    assert again["payment"] == first["payment"]
    assert await confirm_calls(sandbox_client) == calls


async def test_another_checkout_of_a_paid_order_is_already_paid(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    first = await checkout(sandbox_client, order)
    await confirm(api, alice, first)
    payload = await confirm(api, alice, {**first, "paymentKey": "tgen_someone_else"})
    assert [error["code"] for error in payload["errors"]] == ["ALREADY_PAID"]
    assert payload["order"]["status"] == "PAID"


async def test_failed_checkout_is_recorded_and_a_new_checkout_pays(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    failed = await checkout(sandbox_client, order, decision="PAY_PROCESS_CANCELED")
    body = await graphql(
        api,
        "mutation($o: ID!, $c: String!, $m: String) { failPayment(orderId: $o, code: $c, "
        "message: $m) { order { status failure { code message } } errors { code } } }",
        {"o": failed["orderId"], "c": failed["code"], "m": failed["message"]},
        alice,
    )
    payload = body["data"]["failPayment"]
    assert payload["errors"] == []
    assert payload["order"]["status"] == "FAILED"
    assert payload["order"]["failure"]["code"] == "PAY_PROCESS_CANCELED"

    retried = await confirm(api, alice, await checkout(sandbox_client, order))
    assert retried["errors"] == []
    assert retried["order"]["status"] == "PAID"
    assert retried["order"]["failure"] is None


async def test_toss_refusal_fails_the_order_with_its_code(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    # A paymentKey Toss never issued: Toss answers 404 NOT_FOUND_PAYMENT_SESSION.
    payload = await confirm(
        api,
        alice,
        {
            "paymentKey": "tgen_never_issued",
            "orderId": order["orderId"],
            "amount": str(order["amount"]),
        },
    )
    assert [(e["code"], e["gatewayCode"]) for e in payload["errors"]] == [
        ("PAYMENT_REJECTED", "NOT_FOUND_PAYMENT_SESSION")
    ]
    assert payload["order"]["status"] == "FAILED"


async def test_another_buyers_order_looks_missing(
    api: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    mallory: str,
    admin: str,
    order: dict[str, Any],
) -> None:
    body = await graphql(api, ORDER, {"orderId": order["orderId"]}, mallory)
    assert body["data"]["order"] is None
    redirect = await checkout(sandbox_client, order)
    payload = await confirm(api, mallory, redirect)
    assert [error["code"] for error in payload["errors"]] == ["ORDER_NOT_FOUND"]
    assert payload["order"] is None
    by_admin = await graphql(api, ORDER, {"orderId": order["orderId"]}, admin)
    assert by_admin["data"]["order"]["buyer"] == "alice"


async def test_payment_events_record_every_step(
    api: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    alice: str,
    order: dict[str, Any],
    clean_database: str,
) -> None:
    await confirm(api, alice, await checkout(sandbox_client, order))
    events = await audit_log(clean_database, order["orderId"])
    assert [event.event_type for event in events] == [
        "ORDER_CREATED",
        "CONFIRM_CLAIMED",
        "CONFIRM_APPROVED",
    ]
