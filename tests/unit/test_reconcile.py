from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Self

import pytest

from tests.support.fakes import FakeGateway, MemoryStore, MemoryUnitOfWork, approved
from toss_graphql.background import reconcile_forever
from toss_graphql.domain.cancel import CancelArguments, cancel_payment
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import (
    CancelRequest,
    CancelRequestStatus,
    Order,
    OrderStatus,
    Payment,
    Principal,
)
from toss_graphql.domain.orders import CreateOrderRequest, LineRequest, create_order
from toss_graphql.domain.ports.gateway import (
    GatewayRejected,
    GatewayTechnicalError,
    TossFailure,
    TossPaymentStatus,
)
from toss_graphql.domain.reconcile import (
    Outcome,
    ReconcilePolicy,
    ReconcileReport,
    settle_unknown_outcomes,
)
from toss_graphql.domain.services import Services
from toss_graphql.domain.webhooks import WebhookProcessor

KEY = "tgen_lost_reply"
NOW = ReconcilePolicy(min_age=timedelta(0))


@pytest.fixture
async def order(services: Services, alice: Principal) -> Order:
    return await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("latte", 2)]))


async def lost_confirm(
    services: Services, alice: Principal, order: Order, payment_key: str = KEY
) -> None:
    """A confirm whose answer never came: the order is left CONFIRMING."""
    gateway = services.gateway
    assert isinstance(gateway, FakeGateway)
    gateway.confirm_outcome = GatewayTechnicalError("read timeout")
    with pytest.raises(DomainError) as pending:
        await confirm_payment(
            services, alice, payment_key=payment_key, order_id=order.order_id, amount=order.amount
        )
    assert pending.value.code is ErrorCode.PAYMENT_PENDING
    gateway.confirm_outcome = None


async def test_lost_confirm_reply_is_settled_paid_from_tosss_record(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await lost_confirm(services, alice, order)
    gateway.stored[KEY] = approved(KEY, order.order_id, order.amount)  # Toss did approve it
    report = await settle_unknown_outcomes(services, NOW)
    assert report.settled == [order.order_id]
    assert store.orders[order.order_id].status is OrderStatus.PAID
    assert store.payments[order.order_id].payment_key == KEY
    assert len(gateway.confirm_calls) == 1, "a settled order is not confirmed again"


def authenticated_not_confirmed(gateway: FakeGateway, order: Order) -> None:
    """Toss holds the buyer's checkout as authenticated, our confirm never having reached it."""
    gateway.stored[KEY] = dataclasses.replace(
        approved(KEY, order.order_id, order.amount),
        status=TossPaymentStatus.IN_PROGRESS,
        approved_at=None,
    )


async def test_confirm_that_never_reached_toss_is_sent_again_with_the_same_key(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await lost_confirm(services, alice, order)
    authenticated_not_confirmed(gateway, order)
    await settle_unknown_outcomes(services, NOW)
    assert store.orders[order.order_id].status is OrderStatus.PAID
    assert gateway.confirm_calls[-1] == (KEY, order.order_id, order.amount)


async def test_checkout_toss_does_not_know_fails_the_order(
    services: Services, alice: Principal, order: Order, store: MemoryStore
) -> None:
    await lost_confirm(services, alice, order)
    await settle_unknown_outcomes(services, NOW)
    failed = store.orders[order.order_id]
    assert failed.status is OrderStatus.FAILED
    assert failed.failure is not None and failed.failure.code == "NOT_FOUND_PAYMENT"
    last = store.events[-1]
    assert (last.event_type, last.payment_key, last.gateway_code) == (
        "SETTLED_FROM_TOSS",
        KEY,
        "NOT_FOUND_PAYMENT",
    )
    assert last.detail == {"source": "reconcile", "to": "FAILED"}


async def test_a_confirm_sent_again_and_refused_fails_the_order_with_tosss_refusal(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await lost_confirm(services, alice, order)
    authenticated_not_confirmed(gateway, order)
    gateway.confirm_outcome = GatewayRejected("REJECT_CARD_PAYMENT", "한도초과", 403)
    report = await settle_unknown_outcomes(services, NOW)
    assert report.settled == [order.order_id]
    failed = store.orders[order.order_id]
    assert failed.status is OrderStatus.FAILED
    assert failed.failure is not None
    assert (failed.failure.code, failed.failure.message) == ("REJECT_CARD_PAYMENT", "한도초과")
    last = store.events[-1]
    assert (last.event_type, last.detail["toss_status"]) == ("SETTLED_FROM_TOSS", "ABORTED")


def test_the_report_lists_each_order_under_its_outcome() -> None:
    report = ReconcileReport()
    for number, outcome in enumerate(Outcome):
        report.record(f"order-{number}", outcome)
    assert [
        report.settled,
        report.unchanged,
        report.busy,
        report.unreachable,
        report.failed,
        report.gave_up,
    ] == [[f"order-{number}"] for number in range(len(Outcome))]


async def test_expired_checkout_fails_the_order_with_tosss_failure(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await lost_confirm(services, alice, order)
    gateway.stored[KEY] = dataclasses.replace(
        approved(KEY, order.order_id, order.amount),
        status=TossPaymentStatus.EXPIRED,
        approved_at=None,
        failure=TossFailure("EXPIRED_PAYMENT", "결제가 만료되었습니다."),
    )
    await settle_unknown_outcomes(services, NOW)
    failed = store.orders[order.order_id]
    assert failed.status is OrderStatus.FAILED
    assert failed.failure is not None and failed.failure.code == "EXPIRED_PAYMENT"


async def test_toss_unreachable_leaves_the_order_for_the_next_round(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await lost_confirm(services, alice, order)
    gateway.stored[KEY] = GatewayTechnicalError("connect timeout")
    report = await settle_unknown_outcomes(services, NOW)
    assert report.unreachable == [order.order_id]
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING


async def test_an_order_unsettled_too_long_is_handed_to_an_operator(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await lost_confirm(services, alice, order)
    gateway.stored[KEY] = GatewayTechnicalError("connect timeout")
    policy = ReconcilePolicy(min_age=timedelta(0), give_up_after=timedelta(0))
    report = await settle_unknown_outcomes(services, policy)
    assert report.gave_up == [order.order_id]
    assert store.orders[order.order_id].attention is not None
    assert "RECONCILE_GAVE_UP" in store.event_types(order.order_id)
    again = await settle_unknown_outcomes(services, policy)
    assert again.examined == 0, "an order handed to an operator is not retried"


async def test_young_orders_are_left_to_their_request(
    services: Services, alice: Principal, order: Order
) -> None:
    await lost_confirm(services, alice, order)
    report = await settle_unknown_outcomes(services, ReconcilePolicy(min_age=timedelta(hours=1)))
    assert report.examined == 0


async def test_an_order_locked_by_another_worker_is_skipped(
    services: Services, alice: Principal, order: Order, store: MemoryStore
) -> None:
    await lost_confirm(services, alice, order)
    store.order_locks[order.order_id] = ("other-worker", services.clock())
    report = await settle_unknown_outcomes(services, NOW)
    assert report.busy == [order.order_id]


async def test_lost_cancel_reply_is_settled_from_tosss_cancels(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    args = CancelArguments(buyer="alice", order_name=order.order_name, reason="변심", amount=4000)
    # Toss applies the cancel, but its first answer is lost on the way back.
    real_cancel = gateway.cancel
    answers_lost = 1

    async def applied_then_lost(**kwargs: object) -> object:
        nonlocal answers_lost
        answer = await real_cancel(**kwargs)  # type: ignore[arg-type]
        if answers_lost:
            answers_lost -= 1
            raise GatewayTechnicalError("read timeout after the refund")
        return answer

    gateway.cancel = applied_then_lost  # type: ignore[method-assign,assignment]
    with pytest.raises(DomainError) as pending:
        await cancel_payment(services, alice, args)
    assert pending.value.code is ErrorCode.PAYMENT_PENDING

    report = await settle_unknown_outcomes(services, NOW)
    assert report.settled == [order.order_id]
    assert store.orders[order.order_id].status is OrderStatus.PARTIALLY_CANCELED
    assert store.payments[order.order_id].balance_amount == 6000
    assert [c.cancel_amount for c in store.cancels.values()] == [4000]
    assert [r.status for r in store.cancel_requests.values()] == [CancelRequestStatus.SUCCEEDED]


async def test_cancel_whose_answer_never_came_is_sent_again_and_carried_out_once(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    gateway.cancel_failures.append(GatewayTechnicalError("connect timeout"))
    args = CancelArguments(buyer="alice", order_name=order.order_name, reason="변심")
    with pytest.raises(DomainError):
        await cancel_payment(services, alice, args)
    await settle_unknown_outcomes(services, NOW)
    assert [r.status for r in store.cancel_requests.values()] == [CancelRequestStatus.SUCCEEDED]
    assert store.orders[order.order_id].status is OrderStatus.CANCELED
    assert [c.cancel_amount for c in store.cancels.values()] == [order.amount]
    keys = {key for _, _, key in gateway.cancel_calls}
    assert len(keys) == 1, "sent again under the same Idempotency-Key"


async def test_cancel_never_sent_fails_and_refunds_nothing(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    # The process died after storing the request and before asking Toss, longer than the
    # order lock's lease ago: no caller is left waiting to send it.
    stamp = services.clock() - services.lock_lease - timedelta(seconds=1)
    store.cancel_requests["r1"] = CancelRequest(
        request_id="r1",
        buyer="alice",
        order_name=order.order_name,
        reason="변심",
        requested_amount=None,
        requested_order_id=None,
        client_key="k-1",
        toss_idempotency_key="cancel-k1",
        order_id=order.order_id,
        status=CancelRequestStatus.PENDING,
        created_at=stamp,
        updated_at=stamp,
    )
    await settle_unknown_outcomes(services, NOW)
    assert store.cancel_requests["r1"].status is CancelRequestStatus.FAILED
    assert gateway.cancel_calls == []
    assert store.orders[order.order_id].status is OrderStatus.PAID


class PaymentWriteRefused(Exception):
    """What the database raised when it could not store one order's payment (PostgreSQL
    refused a NUL in `payments.raw`, say)."""


class RefusingUnitOfWork(MemoryUnitOfWork):
    """The in-memory store, except that every write of one order's payment raises."""

    def __init__(self, store: MemoryStore, refused_order_id: str) -> None:
        super().__init__(store)
        self._refused_order_id = refused_order_id

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        save = self.payments.save

        async def refusing_save(payment: Payment, now: datetime) -> None:
            if payment.order_id == self._refused_order_id:
                raise PaymentWriteRefused("invalid input value for type jsonb")
            await save(payment, now)

        self.payments.save = refusing_save  # type: ignore[method-assign]
        return self


@pytest.fixture
async def second_order(services: Services, alice: Principal) -> Order:
    return await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("cake", 1)]))


async def one_unsettleable_order(
    services: Services,
    alice: Principal,
    store: MemoryStore,
    gateway: FakeGateway,
    bad: Order,
    good: Order,
) -> Services:
    """Two lost confirm replies, both approved at Toss; `bad`, examined first, is one whose
    payment the database refuses to store. Returns services with that database."""
    await lost_confirm(services, alice, bad, "tgen_unstorable")
    await lost_confirm(services, alice, good, "tgen_storable")
    gateway.stored["tgen_unstorable"] = approved("tgen_unstorable", bad.order_id, bad.amount)
    gateway.stored["tgen_storable"] = approved("tgen_storable", good.order_id, good.amount)
    return dataclasses.replace(
        services, unit_of_work=lambda: RefusingUnitOfWork(store, bad.order_id)
    )


async def test_an_order_that_cannot_be_settled_does_not_stop_the_others(
    services: Services,
    alice: Principal,
    order: Order,
    second_order: Order,
    store: MemoryStore,
    gateway: FakeGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    refusing = await one_unsettleable_order(services, alice, store, gateway, order, second_order)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        report = await settle_unknown_outcomes(refusing, NOW)
    assert report.examined == 2
    assert report.failed == [order.order_id]
    assert report.settled == [second_order.order_id]
    assert "failed 1" in report.summary()
    assert store.orders[second_order.order_id].status is OrderStatus.PAID
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING
    assert store.orders[order.order_id].attention is None, "still young: tried again next run"
    assert order.order_id not in store.order_locks, "its lock is released"
    failures = [r for r in caplog.records if getattr(r, "order_id", None) == order.order_id]
    assert [r.levelno for r in failures] == [logging.ERROR]


async def test_a_failed_order_is_tried_again_on_the_next_run(
    services: Services,
    alice: Principal,
    order: Order,
    second_order: Order,
    store: MemoryStore,
    gateway: FakeGateway,
) -> None:
    refusing = await one_unsettleable_order(services, alice, store, gateway, order, second_order)
    assert (await settle_unknown_outcomes(refusing, NOW)).failed == [order.order_id]
    # The database takes the payment again (the fault was fixed): the next run settles it.
    again = await settle_unknown_outcomes(services, NOW)
    assert again.settled == [order.order_id]
    assert store.orders[order.order_id].status is OrderStatus.PAID


async def test_an_order_failing_past_give_up_after_is_handed_to_an_operator(
    services: Services,
    alice: Principal,
    order: Order,
    second_order: Order,
    store: MemoryStore,
    gateway: FakeGateway,
) -> None:
    refusing = await one_unsettleable_order(services, alice, store, gateway, order, second_order)
    policy = ReconcilePolicy(min_age=timedelta(0), give_up_after=timedelta(0))
    report = await settle_unknown_outcomes(refusing, policy)
    assert report.gave_up == [order.order_id]
    assert report.failed == []
    assert report.settled == [second_order.order_id]
    flagged = store.orders[order.order_id]
    assert flagged.attention is not None and "PaymentWriteRefused" in flagged.attention
    assert "RECONCILE_GAVE_UP" in store.event_types(order.order_id)
    assert (await settle_unknown_outcomes(refusing, policy)).examined == 0


async def test_the_background_reconciler_settles_the_others_while_one_order_keeps_failing(
    services: Services,
    alice: Principal,
    order: Order,
    second_order: Order,
    store: MemoryStore,
    gateway: FakeGateway,
) -> None:
    refusing = await one_unsettleable_order(services, alice, store, gateway, order, second_order)
    webhooks = WebhookProcessor(refusing)
    rounds = asyncio.create_task(reconcile_forever(refusing, webhooks, NOW, interval=0.01))
    try:
        for _ in range(200):
            if store.orders[second_order.order_id].status is OrderStatus.PAID:
                break
            await asyncio.sleep(0.01)
    finally:
        rounds.cancel()
        with pytest.raises(asyncio.CancelledError):
            await rounds
    assert store.orders[second_order.order_id].status is OrderStatus.PAID
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING
