"""Each order is paid through one of Toss's checkouts, and every call to Toss about it is made
with that checkout's secret key (docs/toss-api.md §1, "Key prefixes")."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.support.fakes import FakeGateway, MemoryStore, approved
from toss_graphql.domain.cancel import cancel_payment
from toss_graphql.domain.cancel_requests import CancelArguments
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import OrderStatus, Principal
from toss_graphql.domain.orders import CreateOrderRequest, LineRequest, create_order
from toss_graphql.domain.ports.gateway import Checkout, GatewayTechnicalError
from toss_graphql.domain.reconcile import ReconcilePolicy, settle_unknown_outcomes
from toss_graphql.domain.services import Services

KEY = "tgen_widget_checkout"
LINES = [LineRequest("latte", 2)]


async def test_an_order_names_its_checkout_and_keeps_it(
    services: Services, alice: Principal, store: MemoryStore
) -> None:
    order = await create_order(
        services, alice, CreateOrderRequest(lines=LINES, checkout=Checkout.WIDGET)
    )

    assert order.checkout is Checkout.WIDGET
    assert store.orders[order.order_id].checkout is Checkout.WIDGET
    assert store.events[-1].detail["checkout"] == "WIDGET"


@pytest.mark.parametrize(
    ("taken", "default"),
    [
        (frozenset(Checkout), Checkout.PAYMENT_WINDOW),
        (frozenset({Checkout.PAYMENT_WINDOW}), Checkout.PAYMENT_WINDOW),
        (frozenset({Checkout.WIDGET}), Checkout.WIDGET),
    ],
)
async def test_an_order_naming_no_checkout_gets_the_payment_window_where_it_is_taken(
    services: Services, alice: Principal, taken: frozenset[Checkout], default: Checkout
) -> None:
    services = dataclasses.replace(services, checkouts=taken)
    order = await create_order(services, alice, CreateOrderRequest(lines=LINES))
    assert order.checkout is default


async def test_a_checkout_without_its_secret_key_is_refused_before_anything_is_stored(
    services: Services, alice: Principal, store: MemoryStore
) -> None:
    services = dataclasses.replace(services, checkouts=frozenset({Checkout.PAYMENT_WINDOW}))

    with pytest.raises(DomainError) as refused:
        await create_order(
            services, alice, CreateOrderRequest(lines=LINES, checkout=Checkout.WIDGET)
        )

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "checkout")
    assert store.orders == {}


async def test_confirm_cancel_and_reads_of_a_widget_order_use_the_widget_key_set(
    services: Services, alice: Principal, gateway: FakeGateway, store: MemoryStore
) -> None:
    order = await create_order(
        services, alice, CreateOrderRequest(lines=LINES, checkout=Checkout.WIDGET)
    )
    # The first confirm's answer is lost; the reconciler reads the payment back.
    gateway.confirm_outcome = GatewayTechnicalError("read timeout")
    with pytest.raises(DomainError):
        await confirm_payment(
            services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
        )
    gateway.confirm_outcome = None
    gateway.stored[KEY] = approved(KEY, order.order_id, order.amount)
    await settle_unknown_outcomes(services, ReconcilePolicy(min_age=timedelta(0)))
    assert store.orders[order.order_id].status is OrderStatus.PAID
    await cancel_payment(
        services,
        alice,
        CancelArguments(buyer="alice", order_name=order.order_name, reason="변심"),
    )

    assert [name for name, _ in gateway.checkouts] == ["confirm", "get_payment", "cancel"]
    assert {checkout for _, checkout in gateway.checkouts} == {Checkout.WIDGET}


async def test_a_payment_window_order_uses_the_api_key_set(
    services: Services, alice: Principal, gateway: FakeGateway
) -> None:
    order = await create_order(services, alice, CreateOrderRequest(lines=LINES))
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    assert gateway.checkouts == [("confirm", Checkout.PAYMENT_WINDOW)]
