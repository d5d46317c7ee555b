from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.support.fakes import FakeGateway, MemoryStore, memory_services
from toss_graphql.domain.alignment import apply_toss_record
from toss_graphql.domain.cancel import CancelArguments, CancelResult, cancel_payment
from toss_graphql.domain.cancel_requests import toss_cancel_key
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import (
    CancelRequest,
    CancelRequestStatus,
    Order,
    OrderStatus,
    Principal,
    Role,
)
from toss_graphql.domain.orders import CreateOrderRequest, create_order
from toss_graphql.domain.ports.gateway import (
    Checkout,
    GatewayRejected,
    GatewayTechnicalError,
    TossPayment,
)
from toss_graphql.domain.services import Services

NAME = "정기 구독"


async def paid_order(services: Services, buyer: str = "alice", amount: int = 10000) -> Order:
    order = await create_order(
        services,
        Principal("shop", Role.SERVICE),
        CreateOrderRequest(order_name=NAME, amount=amount, buyer=buyer),
    )
    await confirm_payment(
        services,
        Principal(buyer),
        payment_key=f"pay-{order.order_id}",
        order_id=order.order_id,
        amount=amount,
    )
    return order


async def cancel(services: Services, principal: Principal, **kwargs: object) -> CancelResult:
    arguments = {"buyer": "alice", "order_name": NAME, "reason": "고객 요청", **kwargs}
    return await cancel_payment(services, principal, CancelArguments(**arguments))  # type: ignore[arg-type]


async def refused(services: Services, principal: Principal, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as error:
        await cancel(services, principal, **kwargs)
    return error.value


async def test_full_cancel_records_the_cancel_and_removes_the_payment(
    services: Services, alice: Principal, store: MemoryStore
) -> None:
    order = await paid_order(services)
    result = await cancel(services, alice)
    assert result.order.status is OrderStatus.CANCELED
    assert result.cancel is not None
    assert (result.cancel.cancel_amount, result.cancel.cancel_reason) == (10000, "고객 요청")
    assert order.order_id not in store.payments
    assert store.orders[order.order_id].status is OrderStatus.CANCELED
    assert list(store.cancels) == [result.cancel.transaction_key]
    closing = [e for e in store.events if e.event_type == "PAYMENT_CLOSED"][-1]
    assert closing.detail == {
        "payment_key": f"pay-{order.order_id}",
        "method": "카드",
        "total_amount": 10000,
        "approved_at": "2026-11-22T01:00:00+00:00",
        "receipt_url": "https://example.test/receipt",
    }


async def test_partial_then_the_rest(
    services: Services, alice: Principal, store: MemoryStore
) -> None:
    order = await paid_order(services)
    first = await cancel(services, alice, amount=3000)
    assert first.order.status is OrderStatus.PARTIALLY_CANCELED
    assert store.payments[order.order_id].balance_amount == 7000
    rest = await cancel(services, alice)
    assert rest.cancel is not None and rest.cancel.cancel_amount == 7000
    assert store.orders[order.order_id].status is OrderStatus.CANCELED
    assert sum(c.cancel_amount for c in store.cancels.values()) == 10000


async def test_amount_above_the_balance_is_refused_before_toss(
    services: Services, alice: Principal, gateway: FakeGateway
) -> None:
    await paid_order(services)
    error = await refused(services, alice, amount=10001)
    assert (error.code, error.field) == (ErrorCode.CANCEL_AMOUNT_EXCEEDED, "amount")
    assert gateway.cancel_calls == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 201}, "reason"),
        ({"idempotency_key": "k" * 301}, "idempotencyKey"),
        ({"order_id": "bad id"}, "orderId"),
    ],
)
async def test_bad_arguments_are_invalid_input(
    services: Services, alice: Principal, kwargs: dict[str, object], field: str
) -> None:
    error = await refused(services, alice, **kwargs)
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, field)


async def test_another_buyer_is_forbidden_whether_or_not_the_order_exists(
    services: Services,
) -> None:
    await paid_order(services)
    mallory = Principal("mallory")
    assert (await refused(services, mallory)).code is ErrorCode.FORBIDDEN
    assert (await refused(services, mallory, order_name="nothing")).code is ErrorCode.FORBIDDEN


async def test_admin_cancels_for_any_buyer(services: Services, admin: Principal) -> None:
    await paid_order(services)
    result = await cancel(services, admin)
    assert result.order.status is OrderStatus.CANCELED


async def test_unknown_name_is_order_not_found(services: Services, alice: Principal) -> None:
    error = await refused(services, alice, order_name="없는 주문")
    assert error.code is ErrorCode.ORDER_NOT_FOUND


async def test_several_orders_with_the_name_are_ambiguous_until_one_is_chosen(
    services: Services, alice: Principal, gateway: FakeGateway
) -> None:
    first = await paid_order(services)
    second = await paid_order(services)
    error = await refused(services, alice)
    assert error.code is ErrorCode.AMBIGUOUS_ORDER
    assert first.order_id in error.message and second.order_id in error.message
    assert gateway.cancel_calls == []
    chosen = await cancel(services, alice, order_id=second.order_id)
    assert chosen.order.order_id == second.order_id


async def test_canceled_order_is_not_cancelable_again(services: Services, alice: Principal) -> None:
    await paid_order(services)
    await cancel(services, alice)
    assert (await refused(services, alice)).code is ErrorCode.NOT_CANCELABLE


async def test_repeat_with_the_same_key_returns_the_first_result_and_refunds_once(
    services: Services, alice: Principal, gateway: FakeGateway
) -> None:
    await paid_order(services)
    first = await cancel(services, alice, amount=1000, idempotency_key="k-1")
    again = await cancel(services, alice, amount=1000, idempotency_key="k-1")
    assert again.cancel == first.cancel
    assert len(gateway.cancel_calls) == 1


@pytest.mark.parametrize(
    "changed", [{"amount": 2000}, {"reason": "다른 이유"}, {"order_name": "other"}]
)
async def test_same_key_with_other_arguments_is_refused(
    services: Services, alice: Principal, changed: dict[str, object]
) -> None:
    await paid_order(services)
    await cancel(services, alice, amount=1000, idempotency_key="k-1")
    error = await refused(services, alice, **{"amount": 1000, "idempotency_key": "k-1", **changed})
    assert error.code is ErrorCode.IDEMPOTENCY_KEY_REUSED


async def test_client_keys_are_scoped_to_their_buyer(services: Services, alice: Principal) -> None:
    await paid_order(services, buyer="alice")
    await paid_order(services, buyer="bob")
    await cancel(services, alice, idempotency_key="same")
    bobs = await cancel(services, Principal("bob"), buyer="bob", idempotency_key="same")
    assert bobs.order.buyer == "bob"


async def test_toss_refusal_is_typed_and_replayed_for_the_same_key(
    services: Services, alice: Principal, gateway: FakeGateway, store: MemoryStore
) -> None:
    await paid_order(services)
    gateway.cancel_failures.append(GatewayRejected("NOT_CANCELABLE_PAYMENT", "취소 불가", 403))
    error = await refused(services, alice, idempotency_key="k-2")
    assert (error.code, error.gateway_code) == (ErrorCode.NOT_CANCELABLE, "NOT_CANCELABLE_PAYMENT")
    again = await refused(services, alice, idempotency_key="k-2")
    assert (again.code, again.gateway_code) == (error.code, error.gateway_code)
    assert len(gateway.cancel_calls) == 1
    assert [r.status for r in store.cancel_requests.values()] == [CancelRequestStatus.FAILED]


async def test_consecutive_request_refusal_waits_and_retries_under_a_new_key(
    services: Services, alice: Principal, gateway: FakeGateway
) -> None:
    await paid_order(services)
    gateway.cancel_failures.append(
        GatewayRejected("FORBIDDEN_CONSECUTIVE_REQUEST", "반복적인 요청", 403)
    )
    result = await cancel(services, alice, amount=500)
    assert result.order.status is OrderStatus.PARTIALLY_CANCELED
    keys = [key for _, _, key in gateway.cancel_calls]
    assert len(keys) == 2 and keys[0] != keys[1]


def only_request(store: MemoryStore) -> CancelRequest:
    [request] = store.cancel_requests.values()
    return request


def consecutive_refusal() -> GatewayRejected:
    return GatewayRejected("FORBIDDEN_CONSECUTIVE_REQUEST", "반복적인 요청", 403)


async def test_succeeded_request_records_when_it_was_sent(
    services: Services, alice: Principal, store: MemoryStore
) -> None:
    await paid_order(services)
    await cancel(services, alice)
    request = only_request(store)
    assert request.status is CancelRequestStatus.SUCCEEDED
    assert request.sent_at is not None
    assert request.created_at < request.sent_at < request.updated_at


async def test_consecutive_request_retry_stores_the_key_toss_carried_out(
    services: Services, alice: Principal, gateway: FakeGateway, store: MemoryStore
) -> None:
    await paid_order(services)
    gateway.cancel_failures.append(consecutive_refusal())
    result = await cancel(services, alice, amount=500)
    refused_key, carried_out_key = [key for _, _, key in gateway.cancel_calls]
    request = only_request(store)
    assert request.status is CancelRequestStatus.SUCCEEDED
    assert request.toss_idempotency_key == carried_out_key == f"{refused_key}.1"
    assert result.cancel is not None
    assert request.transaction_key == result.cancel.transaction_key
    assert request.sent_at is not None


class AnsweringGateway(FakeGateway):
    """The fake Toss, with a say in the answer to each cancel it carried out."""

    async def cancel(self, **arguments: Any) -> TossPayment:
        carried_out = await super().cancel(**arguments)
        return await self.answer(carried_out)

    async def answer(self, carried_out: TossPayment) -> TossPayment:
        return carried_out


class WebhookFirstGateway(AnsweringGateway):
    """Toss's webhook about the cancel is settled before the cancel's own reply arrives."""

    services: Services

    async def answer(self, carried_out: TossPayment) -> TossPayment:
        await apply_toss_record(self.services, carried_out.order_id, carried_out, source="webhook")
        return carried_out


class MisreportingGateway(AnsweringGateway):
    """Carries the cancel out, but its reply still shows the whole amount as the balance."""

    async def answer(self, carried_out: TossPayment) -> TossPayment:
        return dataclasses.replace(carried_out, balance_amount=carried_out.total_amount)


async def test_cancel_already_in_the_books_keeps_what_was_sent_and_when(
    store: MemoryStore, alice: Principal
) -> None:
    gateway = WebhookFirstGateway()
    services = gateway.services = memory_services(store, gateway)
    order = await paid_order(services)
    gateway.cancel_failures.append(consecutive_refusal())
    result = await cancel(services, alice)
    assert result.cancel is not None
    assert "SETTLED_FROM_TOSS" in store.event_types(order.order_id), "the webhook came first"
    approvals = [e.detail for e in store.events if e.event_type == "CANCEL_APPROVED"]
    assert [detail.get("replayed") for detail in approvals] == [True]
    request = only_request(store)
    assert request.status is CancelRequestStatus.SUCCEEDED
    assert request.transaction_key == result.cancel.transaction_key
    assert request.toss_idempotency_key == gateway.cancel_calls[-1][2]
    assert request.sent_at is not None


async def test_reply_mismatch_audit_is_committed_before_the_refusal(
    store: MemoryStore, alice: Principal
) -> None:
    gateway = MisreportingGateway()
    services = memory_services(store, gateway)
    order = await paid_order(services)
    error = await refused(services, alice)
    assert error.code is ErrorCode.PAYMENT_PENDING
    mismatches = [e for e in store.events if e.event_type == "CANCEL_REPLY_MISMATCH"]
    assert [(e.order_id, e.detail["fields"]) for e in mismatches] == [
        (order.order_id, ["balanceAmount", "cancels"])
    ]
    assert only_request(store).status is CancelRequestStatus.PENDING
    assert store.orders[order.order_id].status is OrderStatus.PAID


async def test_unknown_outcome_stays_pending_and_the_same_key_settles_it_once(
    services: Services, alice: Principal, gateway: FakeGateway, store: MemoryStore
) -> None:
    order = await paid_order(services)
    gateway.cancel_failures.append(GatewayTechnicalError("read timeout"))
    error = await refused(services, alice, idempotency_key="k-3")
    assert error.code is ErrorCode.PAYMENT_PENDING
    assert store.orders[order.order_id].status is OrderStatus.PAID
    assert [r.status for r in store.cancel_requests.values()] == [CancelRequestStatus.PENDING]

    settled = await cancel(services, alice, idempotency_key="k-3")
    assert settled.order.status is OrderStatus.CANCELED
    keys = {key for _, _, key in gateway.cancel_calls}
    assert len(keys) == 1, "the repeat reuses the Toss Idempotency-Key"
    assert len(store.cancels) == 1


async def test_stale_balance_is_refused_by_toss(
    services: Services, alice: Principal, gateway: FakeGateway, store: MemoryStore
) -> None:
    order = await paid_order(services)
    # Someone canceled 1000 KRW at Toss behind this service's back.
    await gateway.cancel(
        payment_key=f"pay-{order.order_id}",
        cancel_reason="console",
        cancel_amount=1000,
        refundable_amount=None,
        idempotency_key="elsewhere",
        checkout=Checkout.PAYMENT_WINDOW,
    )
    error = await refused(services, alice)
    assert error.gateway_code == "NOT_MATCHES_REFUNDABLE_AMOUNT"
    assert store.orders[order.order_id].status is OrderStatus.PAID


def test_toss_cancel_key_is_derived_within_the_buyer() -> None:
    key = toss_cancel_key("alice", "k-1")
    assert key == toss_cancel_key("alice", "k-1")
    assert key != toss_cancel_key("bob", "k-1")
    assert key != toss_cancel_key("alice", "k-2")
    assert toss_cancel_key("alice1", "2") != toss_cancel_key("alice", "12")
    assert len(toss_cancel_key("구매자" * 50, "k" * 300)) <= 300


def test_toss_cancel_key_without_a_client_key_is_fresh_each_time() -> None:
    assert toss_cancel_key("alice", None) != toss_cancel_key("alice", None)
