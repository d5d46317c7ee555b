from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tests.support.fakes import FakeGateway, MemoryStore, approved
from toss_graphql.domain.confirm import ConfirmResult, confirm_payment, fail_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import Order, OrderStatus, Principal
from toss_graphql.domain.orders import CreateOrderRequest, LineRequest, create_order
from toss_graphql.domain.ports.gateway import (
    GatewayRejected,
    GatewayReplyInvalid,
    GatewayTechnicalError,
    TossFailure,
    TossPayment,
    TossPaymentStatus,
)
from toss_graphql.domain.services import Services

KEY = "tgen_20261122000000abcd"


@pytest.fixture
async def order(services: Services, alice: Principal) -> Order:
    return await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("latte", 2)]))


async def confirm(
    services: Services,
    principal: Principal,
    order: Order,
    key: str = KEY,
    amount: int | None = None,
) -> object:
    return await confirm_payment(
        services,
        principal,
        payment_key=key,
        order_id=order.order_id,
        amount=order.amount if amount is None else amount,
    )


async def refusal(
    services: Services, principal: Principal, order: Order, **kwargs: object
) -> DomainError:
    with pytest.raises(DomainError) as refused:
        await confirm(services, principal, order, **kwargs)  # type: ignore[arg-type]
    return refused.value


async def test_confirm_marks_order_paid_and_records_payment(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    await confirm(services, alice, order)
    assert store.orders[order.order_id].status is OrderStatus.PAID
    assert store.payments[order.order_id].payment_key == KEY
    assert gateway.confirm_calls == [(KEY, order.order_id, 10000)]
    assert store.event_types(order.order_id)[-2:] == ["CONFIRM_CLAIMED", "CONFIRM_APPROVED"]


async def test_confirm_with_tampered_amount_never_calls_toss(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    error = await refusal(services, alice, order, amount=100)
    assert error.code is ErrorCode.AMOUNT_MISMATCH
    assert gateway.confirm_calls == []
    assert store.orders[order.order_id].status is OrderStatus.PENDING
    assert store.event_types(order.order_id)[-1] == "AMOUNT_TAMPER_REFUSED"


async def test_confirm_of_another_buyers_order_reads_as_not_found(
    services: Services, order: Order, gateway: FakeGateway
) -> None:
    error = await refusal(services, Principal("mallory"), order)
    assert error.code is ErrorCode.ORDER_NOT_FOUND
    assert gateway.confirm_calls == []


async def test_repeat_with_same_payment_key_returns_stored_payment_without_toss(
    services: Services, alice: Principal, order: Order, gateway: FakeGateway
) -> None:
    first = await confirm(services, alice, order)
    again = await confirm(services, alice, order)
    assert again == first
    assert len(gateway.confirm_calls) == 1


async def test_another_payment_key_on_a_paid_order_is_already_paid(
    services: Services, alice: Principal, order: Order, gateway: FakeGateway
) -> None:
    await confirm(services, alice, order)
    error = await refusal(services, alice, order, key="tgen_other")
    assert error.code is ErrorCode.ALREADY_PAID
    assert len(gateway.confirm_calls) == 1


async def test_toss_rejection_fails_the_order_with_toss_code(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    gateway.confirm_outcome = GatewayRejected("REJECT_CARD_PAYMENT", "잔액부족", 403)
    error = await refusal(services, alice, order)
    assert (error.code, error.gateway_code) == (ErrorCode.PAYMENT_REJECTED, "REJECT_CARD_PAYMENT")
    failed = store.orders[order.order_id]
    assert failed.status is OrderStatus.FAILED
    assert failed.failure is not None and failed.failure.code == "REJECT_CARD_PAYMENT"
    assert order.order_id not in store.payments


async def test_toss_rejection_is_audited_with_its_code(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    gateway.confirm_outcome = GatewayRejected("REJECT_CARD_PAYMENT", "잔액부족", 403)
    await refusal(services, alice, order)
    (rejected,) = [e for e in store.events if e.event_type == "CONFIRM_REJECTED"]
    assert (rejected.payment_key, rejected.gateway_code) == (KEY, "REJECT_CARD_PAYMENT")
    assert rejected.detail == {"applied": True}


async def test_a_rejection_after_the_order_moved_on_is_audited_and_changes_nothing(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    async def settled_elsewhere_then_rejected(**_: object) -> TossPayment:
        # A webhook settled the order while this confirm waited for its answer.
        store.orders[order.order_id] = dataclasses.replace(
            store.orders[order.order_id], status=OrderStatus.PAID
        )
        raise GatewayRejected("REJECT_CARD_PAYMENT", "잔액부족", 403)

    gateway.confirm = settled_elsewhere_then_rejected  # type: ignore[method-assign]
    await refusal(services, alice, order)
    assert store.orders[order.order_id].status is OrderStatus.PAID
    (rejected,) = [e for e in store.events if e.event_type == "CONFIRM_REJECTED"]
    assert rejected.detail == {"applied": False}


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (
            TossFailure("COMMON_ERROR", "승인에 실패했습니다."),
            ("COMMON_ERROR", "승인에 실패했습니다."),
        ),
        (TossFailure("COMMON_ERROR", ""), ("COMMON_ERROR", "이미 처리된 결제")),
        (None, ("ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제")),
    ],
    ids=["tosss failure", "no message", "no failure"],
)
async def test_already_processed_and_aborted_at_toss_fails_with_tosss_failure(
    services: Services,
    alice: Principal,
    order: Order,
    store: MemoryStore,
    gateway: FakeGateway,
    failure: TossFailure | None,
    expected: tuple[str, str],
) -> None:
    gateway.confirm_outcome = GatewayRejected("ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제", 400)
    gateway.stored[KEY] = dataclasses.replace(
        approved(KEY, order.order_id, order.amount, TossPaymentStatus.ABORTED),
        approved_at=None,
        failure=failure,
    )
    error = await refusal(services, alice, order)
    assert (error.code, error.gateway_code, error.message) == (
        ErrorCode.PAYMENT_REJECTED,
        *expected,
    )
    failed = store.orders[order.order_id]
    assert failed.status is OrderStatus.FAILED
    assert failed.failure is not None
    assert (failed.failure.code, failed.failure.message) == expected


async def test_failed_order_can_be_confirmed_with_a_new_checkout(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    gateway.confirm_outcome = GatewayRejected("REJECT_CARD_PAYMENT", "잔액부족", 403)
    await refusal(services, alice, order)
    gateway.confirm_outcome = None
    await confirm(services, alice, order, key="tgen_second")
    paid = store.orders[order.order_id]
    assert (paid.status, paid.payment_key, paid.failure) == (OrderStatus.PAID, "tgen_second", None)


@pytest.mark.parametrize(
    "outcome",
    [GatewayTechnicalError("timeout"), GatewayReplyInvalid("not JSON")],
    ids=["technical", "unreadable reply"],
)
async def test_unknown_outcome_leaves_order_confirming_and_answers_pending(
    services: Services,
    alice: Principal,
    order: Order,
    store: MemoryStore,
    gateway: FakeGateway,
    outcome: Exception,
) -> None:
    gateway.confirm_outcome = outcome  # type: ignore[assignment]
    error = await refusal(services, alice, order)
    assert error.code is ErrorCode.PAYMENT_PENDING
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING
    assert store.event_types(order.order_id)[-1] == "CONFIRM_OUTCOME_UNKNOWN"


async def test_confirm_while_another_is_in_flight_is_refused_without_toss(
    services: Services, alice: Principal, order: Order, gateway: FakeGateway
) -> None:
    gateway.confirm_outcome = GatewayTechnicalError("timeout")
    await refusal(services, alice, order)
    error = await refusal(services, alice, order)
    assert error.code is ErrorCode.CONFIRM_IN_PROGRESS
    assert len(gateway.confirm_calls) == 1


async def test_a_claim_that_lost_its_order_after_reading_it_is_decided_again(
    services: Services,
    alice: Principal,
    order: Order,
    store: MemoryStore,
    gateway: FakeGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The read says PENDING, but another confirm claimed the order before this UPDATE: the
    claim requires the status it read, so it fails, and the full path answers from the order
    as it now is."""
    pending = store.orders[order.order_id]
    store.orders[order.order_id] = dataclasses.replace(
        pending, status=OrderStatus.CONFIRMING, payment_key="tgen_other_checkout"
    )

    async def stale(order_id: str) -> Order | None:
        return pending if order_id == pending.order_id else None

    monkeypatch.setattr(services.reads, "order", stale)
    error = await refusal(services, alice, order)

    assert error.code is ErrorCode.CONFIRM_IN_PROGRESS
    assert store.orders[order.order_id].payment_key == "tgen_other_checkout"
    assert "CONFIRM_CLAIMED" not in store.event_types(order.order_id)
    assert gateway.confirm_calls == []


async def test_a_claim_audits_the_status_it_left_even_when_it_moved_after_the_read(
    services: Services,
    alice: Principal,
    order: Order,
    store: MemoryStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read PENDING, but the checkout failed meanwhile (FAILED): the claim is still allowed,
    and its audit line names FAILED, the status it really left."""
    pending = store.orders[order.order_id]
    store.orders[order.order_id] = dataclasses.replace(pending, status=OrderStatus.FAILED)

    async def stale(order_id: str) -> Order | None:
        return pending

    monkeypatch.setattr(services.reads, "order", stale)
    await confirm(services, alice, order)

    claimed = [event for event in store.events if event.event_type == "CONFIRM_CLAIMED"]
    assert [event.detail["previous_status"] for event in claimed] == ["FAILED"]
    assert store.orders[order.order_id].status is OrderStatus.PAID


async def test_a_claim_audits_the_status_it_left(
    services: Services, alice: Principal, order: Order, store: MemoryStore
) -> None:
    store.orders[order.order_id] = dataclasses.replace(
        store.orders[order.order_id], status=OrderStatus.FAILED
    )
    await confirm(services, alice, order)
    claimed = [event for event in store.events if event.event_type == "CONFIRM_CLAIMED"]
    assert [event.detail["previous_status"] for event in claimed] == ["FAILED"]


@pytest.mark.parametrize(
    "disagree",
    [
        lambda reply: dataclasses.replace(reply, order_id="other-order"),
        lambda reply: dataclasses.replace(reply, total_amount=1),
        lambda reply: dataclasses.replace(reply, status=TossPaymentStatus.IN_PROGRESS),
    ],
    ids=["orderId", "totalAmount", "status"],
)
async def test_reply_disagreeing_with_the_order_is_not_marked_paid(
    services: Services,
    alice: Principal,
    order: Order,
    store: MemoryStore,
    gateway: FakeGateway,
    disagree: Callable[[TossPayment], TossPayment],
) -> None:
    gateway.confirm_outcome = disagree(approved(KEY, order.order_id, order.amount))
    error = await refusal(services, alice, order)
    assert error.code is ErrorCode.PAYMENT_PENDING
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING
    assert order.order_id not in store.payments


async def test_already_processed_payment_is_settled_from_tosss_record(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    gateway.confirm_outcome = GatewayRejected("ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제", 400)
    gateway.stored[KEY] = approved(KEY, order.order_id, order.amount)
    await confirm(services, alice, order)
    assert store.orders[order.order_id].status is OrderStatus.PAID
    assert gateway.get_calls == [KEY]


async def test_credential_errors_are_reported_as_gateway_unavailable(
    services: Services, alice: Principal, order: Order, gateway: FakeGateway
) -> None:
    gateway.confirm_outcome = GatewayRejected("UNAUTHORIZED_KEY", "인증되지 않은 키", 401)
    error = await refusal(services, alice, order)
    assert (error.code, error.gateway_code) == (ErrorCode.GATEWAY_UNAVAILABLE, "UNAUTHORIZED_KEY")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": ""}, "paymentKey"),
        ({"key": "x" * 201}, "paymentKey"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
    ],
)
async def test_bad_confirm_input_is_invalid_input(
    services: Services, alice: Principal, order: Order, kwargs: dict[str, object], field: str
) -> None:
    error = await refusal(services, alice, order, **kwargs)
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, field)


async def test_fail_payment_records_the_checkout_failure(
    services: Services, alice: Principal, order: Order, store: MemoryStore
) -> None:
    await fail_payment(
        services, alice, order_id=order.order_id, code="PAY_PROCESS_CANCELED", message="취소"
    )
    failed = store.orders[order.order_id]
    assert failed.status is OrderStatus.FAILED
    assert failed.failure is not None and failed.failure.code == "PAY_PROCESS_CANCELED"


async def test_fail_payment_never_moves_a_paid_order(
    services: Services, alice: Principal, order: Order, store: MemoryStore
) -> None:
    await confirm(services, alice, order)
    with pytest.raises(DomainError) as refused:
        await fail_payment(services, alice, order_id=order.order_id, code="X", message=None)
    assert refused.value.code is ErrorCode.INVALID_STATE
    assert store.orders[order.order_id].status is OrderStatus.PAID


async def test_fail_payment_never_moves_a_confirming_order(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    gateway.confirm_outcome = GatewayTechnicalError("timeout")
    await refusal(services, alice, order)
    with pytest.raises(DomainError) as refused:
        await fail_payment(services, alice, order_id=order.order_id, code="X", message=None)
    assert refused.value.code is ErrorCode.INVALID_STATE
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING


async def test_virtual_account_confirm_waits_for_the_deposit(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    issued = dataclasses.replace(
        approved(KEY, order.order_id, order.amount, TossPaymentStatus.WAITING_FOR_DEPOSIT),
        approved_at=None,
    )
    gateway.confirm_outcome = issued
    result = await confirm(services, alice, order)
    assert isinstance(result, ConfirmResult)
    assert result.order.status is OrderStatus.WAITING_FOR_DEPOSIT
    assert store.payments[order.order_id].toss_status == "WAITING_FOR_DEPOSIT"
    again = await confirm(services, alice, order)
    assert again == result
    assert len(gateway.confirm_calls) == 1


async def test_already_processed_without_tosss_record_is_pending_not_failed(
    services: Services, alice: Principal, order: Order, store: MemoryStore, gateway: FakeGateway
) -> None:
    gateway.confirm_outcome = GatewayRejected("ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제", 400)
    gateway.stored[KEY] = GatewayRejected("FORBIDDEN_CONSECUTIVE_REQUEST", "반복적인 요청", 403)
    error = await refusal(services, alice, order)
    assert error.code is ErrorCode.PAYMENT_PENDING
    assert store.orders[order.order_id].status is OrderStatus.CONFIRMING, (
        "Toss may have charged: a FAILED order could be paid a second time"
    )
