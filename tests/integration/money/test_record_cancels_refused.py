"""Toss's cancels are booked only with the order's move: when the order is no longer the
refundable one a settler read (another settler moved it since), nothing is booked, on both
databases."""

from __future__ import annotations

import dataclasses

import pytest

from tests.integration.money.support import ALICE, ManualClock, paid_order
from tests.support.fakes import FakeGateway
from toss_graphql.domain.alignment import record_cancels
from toss_graphql.domain.cancel import CancelArguments, cancel_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import CancelRequestStatus, OrderStatus
from toss_graphql.domain.ports.gateway import Checkout
from toss_graphql.domain.services import Services
from toss_graphql.domain.state_machine import OrderEvent

KEY = "tgen_paid"


async def test_cancels_are_not_booked_against_an_order_that_moved_on(
    services: Services, gateway: FakeGateway, clock: ManualClock
) -> None:
    order = await paid_order(services, key=KEY)
    toss = await gateway.cancel(
        payment_key=KEY,
        cancel_reason="변심",
        cancel_amount=3000,
        refundable_amount=None,
        idempotency_key="cancel-elsewhere",
        checkout=Checkout.PAYMENT_WINDOW,
    )
    async with services.unit_of_work() as uow:
        # Another settler moved the order after this one read it PAID.
        assert await uow.orders.transition(order.order_id, OrderEvent.FULLY_REFUNDED, now=clock())
        read_paid = dataclasses.replace(order, status=OrderStatus.PAID)
        returned = await record_cancels(uow, read_paid, toss, clock())
        assert returned.status is OrderStatus.CANCELED
        assert await uow.cancels.transaction_keys(order.order_id) == set()
        payment = (await uow.payments.get_many_by_order_id([order.order_id]))[order.order_id]
    assert payment.balance_amount == order.amount


async def test_a_cancel_whose_booking_is_refused_stays_pending(
    services: Services, gateway: FakeGateway, clock: ManualClock
) -> None:
    order = await paid_order(services, key=KEY)
    real_cancel = gateway.cancel

    async def moved_meanwhile(**kwargs: object) -> object:
        answer = await real_cancel(**kwargs)  # type: ignore[arg-type]
        # While Toss carried the cancel out, the order moved on here (a settler whose lock
        # had lapsed): the answer must not be booked against it.
        async with services.unit_of_work() as uow:
            await uow.orders.transition(order.order_id, OrderEvent.FULLY_REFUNDED, now=clock())
        return answer

    gateway.cancel = moved_meanwhile  # type: ignore[method-assign,assignment]
    args = CancelArguments(
        buyer="alice", order_name="정기 구독", reason="변심", amount=3000, idempotency_key="k-1"
    )
    with pytest.raises(DomainError) as pending:
        await cancel_payment(services, ALICE, args)
    assert pending.value.code is ErrorCode.PAYMENT_PENDING
    async with services.unit_of_work() as uow:
        request = await uow.cancel_requests.get_by_client_key("alice", "k-1")
        booked = await uow.cancels.transaction_keys(order.order_id)
    assert request is not None and request.status is CancelRequestStatus.PENDING
    assert booked == set()
