from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from tests.support.fakes import FakeGateway, MemoryStore, approved
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.errors import DomainError
from toss_graphql.domain.gateway_port import GatewayTechnicalError, TossPayment
from toss_graphql.domain.models import Order, OrderStatus, Principal
from toss_graphql.domain.orders import CreateOrderRequest, LineRequest, create_order
from toss_graphql.domain.services import Services
from toss_graphql.domain.webhooks import (
    InvalidWebhook,
    parse_webhook,
    process_received_webhooks,
    receive_webhook,
)

KEY = "tgen_webhook"
NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture
async def order(services: Services, alice: Principal) -> Order:
    return await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("latte", 2)]))


def status_changed(order: Order, status: str = "DONE", amount: int | None = None) -> bytes:
    data = {
        "paymentKey": KEY,
        "orderId": order.order_id,
        "status": status,
        "totalAmount": amount or order.amount,
    }
    return json.dumps(
        {
            "eventType": "PAYMENT_STATUS_CHANGED",
            "createdAt": "2026-11-22T09:00:00.000000",
            "data": data,
        }
    ).encode()


async def deliver(services: Services, body: bytes, transmission_id: str = "whtrans_1") -> bool:
    stored = await receive_webhook(services, parse_webhook(body, transmission_id, "0", NOW))
    await process_received_webhooks(services)
    return stored


async def claim_confirm(services: Services, alice: Principal, order: Order) -> None:
    gateway = services.gateway
    assert isinstance(gateway, FakeGateway)
    gateway.confirm_outcome = GatewayTechnicalError("read timeout")
    with pytest.raises(DomainError):
        await confirm_payment(
            services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
        )
    gateway.confirm_outcome = None


async def test_webhook_settles_a_confirm_whose_reply_was_lost(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await claim_confirm(services, alice, order)
    gateway.stored[KEY] = approved(KEY, order.order_id, order.amount)
    await deliver(services, status_changed(order))
    assert store.orders[order.order_id].status is OrderStatus.PAID
    assert gateway.get_calls == [KEY], "the body is a hint: the payment is read from Toss"


async def test_a_resent_webhook_is_stored_and_processed_once(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await claim_confirm(services, alice, order)
    gateway.stored[KEY] = approved(KEY, order.order_id, order.amount)
    assert await deliver(services, status_changed(order)) is True
    assert await deliver(services, status_changed(order)) is False
    assert gateway.get_calls == [KEY]


async def test_forged_body_changes_nothing(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await claim_confirm(services, alice, order)
    # The body says DONE; Toss says the buyer never finished the checkout.
    gateway.stored[KEY] = dataclasses.replace(
        approved(KEY, order.order_id, order.amount), status="IN_PROGRESS", approved_at=None
    )
    await deliver(services, status_changed(order, status="DONE", amount=1))
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING
    assert order.order_id not in store.payments


async def test_webhook_naming_another_orders_payment_is_rejected(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await claim_confirm(services, alice, order)
    gateway.stored[KEY] = approved(KEY, "someone-elses-order", order.amount)
    await deliver(services, status_changed(order))
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING
    assert [status for _, status in store.webhooks.values()] == ["REJECTED"]


async def test_deposit_callback_pays_a_virtual_account_order(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    issued = dataclasses.replace(
        approved(KEY, order.order_id, order.amount, status="WAITING_FOR_DEPOSIT"),
        approved_at=None,
        raw={"secret": "ps_right", "virtualAccount": {"accountNumber": "X1234"}},
    )
    gateway.confirm_outcome = issued
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    assert store.orders[order.order_id].status is OrderStatus.WAITING_FOR_DEPOSIT
    gateway.stored[KEY] = dataclasses.replace(
        approved(KEY, order.order_id, order.amount), raw={"secret": "ps_right"}
    )
    body = {
        "createdAt": "2026-11-22T09:00:00.000000",
        "secret": "ps_wrong",
        "status": "DONE",
        "transactionKey": "tx",
        "orderId": order.order_id,
    }
    await deliver(services, json.dumps(body).encode(), "whtrans_forged")
    assert store.orders[order.order_id].status is OrderStatus.WAITING_FOR_DEPOSIT

    await deliver(services, json.dumps({**body, "secret": "ps_right"}).encode(), "whtrans_2")
    assert store.orders[order.order_id].status is OrderStatus.PAID
    assert store.payments[order.order_id].toss_status == "DONE"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"eventType": "SOMETHING_ELSE"}',
        b'{"eventType": "PAYMENT_STATUS_CHANGED", "data": {"orderId": 5}}',
    ],
)
def test_unreadable_webhooks_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(body, "whtrans_x", "0", NOW)


def test_a_webhook_without_transmission_id_is_identified_by_its_body() -> None:
    body = b'{"eventType": "CANCEL_STATUS_CHANGED", "data": {}}'
    first = parse_webhook(body, None, None, NOW)
    assert first.transmission_id == parse_webhook(body, None, None, NOW).transmission_id


def test_an_empty_payment_key_is_not_a_webhook() -> None:
    body = json.dumps(
        {"eventType": "PAYMENT_STATUS_CHANGED", "data": {"orderId": "order-0001", "paymentKey": ""}}
    ).encode()
    with pytest.raises(InvalidWebhook):
        parse_webhook(body, "whtrans_empty", "0", NOW)


async def test_a_webhook_that_trips_a_bug_is_set_aside_and_the_rest_go_on(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await claim_confirm(services, alice, order)
    gateway.stored[KEY] = approved(KEY, order.order_id, order.amount)
    real_get = gateway.get_payment

    async def buggy_get(payment_key: str) -> TossPayment:
        if payment_key == "tgen_trips_a_bug":
            raise ValueError("a bug in reading this payment")
        return await real_get(payment_key)

    gateway.get_payment = buggy_get  # type: ignore[method-assign]
    broken = parse_webhook(status_changed(order), "whtrans_broken", "0", NOW)
    await receive_webhook(services, dataclasses.replace(broken, payment_key="tgen_trips_a_bug"))
    await deliver(services, status_changed(order), "whtrans_good")
    assert store.orders[order.order_id].status is OrderStatus.PAID
    statuses = {tid: status for tid, (_, status) in store.webhooks.items()}
    assert statuses == {"whtrans_broken": "FAILED", "whtrans_good": "PROCESSED"}


async def test_a_reversed_deposit_hands_the_paid_order_to_an_operator(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    gateway.stored[KEY] = dataclasses.replace(
        approved(KEY, order.order_id, order.amount, status="WAITING_FOR_DEPOSIT"),
        raw={"secret": "ps_right"},
    )
    await deliver(services, status_changed(order, status="WAITING_FOR_DEPOSIT"))
    flagged = store.orders[order.order_id]
    assert flagged.status is OrderStatus.PAID
    assert flagged.attention is not None and "reversed" in flagged.attention


async def test_a_record_older_than_the_books_changes_nothing(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    first = await gateway.cancel(
        payment_key=KEY,
        cancel_reason="1",
        cancel_amount=3000,
        refundable_amount=None,
        idempotency_key="a",
    )
    await deliver(services, status_changed(order, status="PARTIAL_CANCELED"), "whtrans_a")
    await gateway.cancel(
        payment_key=KEY,
        cancel_reason="2",
        cancel_amount=2000,
        refundable_amount=None,
        idempotency_key="b",
    )
    await deliver(services, status_changed(order, status="PARTIAL_CANCELED"), "whtrans_b")
    assert store.payments[order.order_id].balance_amount == 5000
    # A reader that fetched Toss's record before the second cancel delivers it now.
    gateway.stored[KEY] = first
    await deliver(services, status_changed(order, status="PARTIAL_CANCELED"), "whtrans_old")
    assert store.payments[order.order_id].balance_amount == 5000
