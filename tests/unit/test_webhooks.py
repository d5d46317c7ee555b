from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Self

import pytest

from tests.support.fakes import FakeGateway, MemoryStore, MemoryUnitOfWork, approved
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.errors import DomainError
from toss_graphql.domain.models import InboxStatus, Order, OrderStatus, Principal
from toss_graphql.domain.orders import CreateOrderRequest, LineRequest, create_order
from toss_graphql.domain.ports.gateway import (
    Checkout,
    GatewayTechnicalError,
    TossPayment,
    TossPaymentStatus,
    VirtualAccount,
)
from toss_graphql.domain.services import Services
from toss_graphql.domain.webhooks import process_received_webhooks, receive_webhook
from toss_graphql.webhook_endpoint import InvalidWebhook, parse_webhook

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
        approved(KEY, order.order_id, order.amount),
        status=TossPaymentStatus.IN_PROGRESS,
        approved_at=None,
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
        approved(KEY, order.order_id, order.amount, TossPaymentStatus.WAITING_FOR_DEPOSIT),
        approved_at=None,
        secret="ps_right",
        virtual_account=VirtualAccount("X1234"),
    )
    gateway.confirm_outcome = issued
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    assert store.orders[order.order_id].status is OrderStatus.WAITING_FOR_DEPOSIT
    assert store.payments[order.order_id].virtual_account == VirtualAccount("X1234")
    gateway.stored[KEY] = dataclasses.replace(
        approved(KEY, order.order_id, order.amount), secret="ps_right"
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

    async def buggy_get(payment_key: str, *, checkout: Checkout) -> TossPayment:
        if payment_key == "tgen_trips_a_bug":
            raise ValueError("a bug in reading this payment")
        return await real_get(payment_key, checkout=checkout)

    gateway.get_payment = buggy_get  # type: ignore[method-assign]
    # Another order's: the webhooks of one order are settled together, by one read.
    other = await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("cake", 1)]))
    broken = parse_webhook(status_changed(other), "whtrans_broken", "0", NOW)
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
        approved(KEY, order.order_id, order.amount, TossPaymentStatus.WAITING_FOR_DEPOSIT),
        secret="ps_right",
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
        checkout=Checkout.PAYMENT_WINDOW,
    )
    await deliver(services, status_changed(order, status="PARTIAL_CANCELED"), "whtrans_a")
    await gateway.cancel(
        payment_key=KEY,
        cancel_reason="2",
        cancel_amount=2000,
        refundable_amount=None,
        idempotency_key="b",
        checkout=Checkout.PAYMENT_WINDOW,
    )
    await deliver(services, status_changed(order, status="PARTIAL_CANCELED"), "whtrans_b")
    assert store.payments[order.order_id].balance_amount == 5000
    # A reader that fetched Toss's record before the second cancel delivers it now.
    gateway.stored[KEY] = first
    await deliver(services, status_changed(order, status="PARTIAL_CANCELED"), "whtrans_old")
    assert store.payments[order.order_id].balance_amount == 5000


def payment_status_changed(**data: object) -> bytes:
    return json.dumps(
        {
            "eventType": "PAYMENT_STATUS_CHANGED",
            "createdAt": "2026-11-22T09:00:00.000000",
            "data": {"paymentKey": KEY, "orderId": "order-0001", "status": "DONE", **data},
        }
    ).encode()


def deposit_callback(**fields: object) -> bytes:
    body = {
        "createdAt": "2026-11-22T09:00:00.000000",
        "secret": "ps_eqRGgYO1r57E4Z541ZMW3QnN2Eya",
        "status": "DONE",
        "transactionKey": "tx",
        "orderId": "order-0001",
        **fields,
    }
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("body", "transmission_id", "retried_count"),
    [
        # The inbox keeps a secret in 64 characters.
        pytest.param(deposit_callback(secret="s" * 65), "whtrans_1", "0", id="secret-65"),
        pytest.param(deposit_callback(secret="s" * 200), "whtrans_1", "0", id="secret-200"),
        pytest.param(deposit_callback(secret="ps_\x00"), "whtrans_1", "0", id="secret-nul"),
        pytest.param(deposit_callback(secret=7), "whtrans_1", "0", id="secret-number"),
        # The retried count is an INTEGER column.
        pytest.param(payment_status_changed(), "whtrans_1", "99999999999", id="retried-huge"),
        pytest.param(payment_status_changed(), "whtrans_1", "-1", id="retried-negative"),
        pytest.param(payment_status_changed(), "whtrans_1", "three", id="retried-word"),
        pytest.param(payment_status_changed(), "whtrans_1", "١", id="retried-arabic-digit"),
        # Statuses are Toss's upper-case words, in 24 characters.
        pytest.param(payment_status_changed(status="DO\x00NE"), "w1", "0", id="status-nul"),
        pytest.param(payment_status_changed(status="\ud800"), "w1", "0", id="status-surrogate"),
        pytest.param(payment_status_changed(status="D" * 25), "w1", "0", id="status-25"),
        pytest.param(payment_status_changed(status=5), "w1", "0", id="status-number"),
        pytest.param(deposit_callback(status="DONE\x00"), "w1", "0", id="deposit-status-nul"),
        # Identifiers with control characters or lone surrogates.
        pytest.param(payment_status_changed(paymentKey="tgen_\x00"), "w1", "0", id="key-nul"),
        pytest.param(
            payment_status_changed(paymentKey="tgen_\ud800"), "w1", "0", id="key-surrogate"
        ),
        pytest.param(payment_status_changed(orderId="order-01\x00"), "w1", "0", id="order-nul"),
        pytest.param(
            b'{"eventType": "PAYMENT_STATUS_CHANGED\\u0000", "data": {}}',
            "w1",
            "0",
            id="event-type-nul",
        ),
        # The transmission id is a key of at most 100 visible characters.
        pytest.param(payment_status_changed(), "whtrans_\x00", "0", id="transmission-nul"),
        pytest.param(payment_status_changed(), "whtrans_\x7f", "0", id="transmission-del"),
        pytest.param(payment_status_changed(), "whtrans_\x85", "0", id="transmission-c1"),
        pytest.param(payment_status_changed(), "w" * 101, "0", id="transmission-101"),
        pytest.param(payment_status_changed(), "", "0", id="transmission-empty"),
    ],
)
def test_webhooks_that_do_not_fit_the_inbox_are_refused(
    body: bytes, transmission_id: str, retried_count: str
) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(body, transmission_id, retried_count, NOW)


def test_webhooks_at_the_inbox_bounds_are_read() -> None:
    webhook = parse_webhook(deposit_callback(secret="s" * 64), "w" * 100, "2147483647", NOW)
    assert (webhook.secret, webhook.transmission_id) == ("s" * 64, "w" * 100)
    assert webhook.retried_count == 2**31 - 1
    changed = parse_webhook(payment_status_changed(status="WAITING_FOR_DEPOSIT"), None, None, NOW)
    assert (changed.claimed_status, changed.retried_count) == ("WAITING_FOR_DEPOSIT", 0)


def test_a_body_nested_past_the_parsers_depth_is_refused() -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(b"[" * 100_000, "whtrans_deep", "0", NOW)


class OutcomeRefusingUnitOfWork(MemoryUnitOfWork):
    """The in-memory store, except that recording one webhook's outcome raises."""

    def __init__(self, store: MemoryStore, refused_transmission_id: str) -> None:
        super().__init__(store)
        self._refused_transmission_id = refused_transmission_id

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        finish = self.webhooks.finish

        async def refusing_finish(
            transmission_id: str, *, status: InboxStatus, outcome: str, now: datetime
        ) -> None:
            if transmission_id == self._refused_transmission_id:
                raise ConnectionResetError("the database connection was lost")
            await finish(transmission_id, status=status, outcome=outcome, now=now)

        self.webhooks.finish = refusing_finish  # type: ignore[method-assign]
        return self


async def test_an_outcome_that_cannot_be_recorded_stops_no_other_orders_webhooks(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    other = await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("cake", 1)]))
    await claim_confirm(services, alice, order)
    gateway.stored[KEY] = approved(KEY, order.order_id, order.amount)
    gateway.stored["tgen_other"] = approved("tgen_other", other.order_id, other.amount)
    refusing = dataclasses.replace(
        services, unit_of_work=lambda: OutcomeRefusingUnitOfWork(store, "whtrans_refused")
    )
    await receive_webhook(
        refusing, parse_webhook(status_changed(order), "whtrans_refused", "0", NOW)
    )
    other_body = json.loads(status_changed(other))
    other_body["data"]["paymentKey"] = "tgen_other"
    await receive_webhook(
        refusing, parse_webhook(json.dumps(other_body).encode(), "whtrans_other", "0", NOW)
    )
    await process_received_webhooks(refusing)
    assert store.orders[other.order_id].status is OrderStatus.PAID
    statuses = {tid: status for tid, (_, status) in store.webhooks.items()}
    assert statuses == {"whtrans_refused": "RECEIVED", "whtrans_other": "PROCESSED"}
