"""A deposited virtual account is refunded to a bank account the buyer names (Toss's
`refundReceiveAccount`, docs/toss-api.md §2.4): refused without one before Toss is asked,
sent with one, kept masked only."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.fakes import FakeGateway, MemoryStore, approved
from toss_graphql.domain.cancel import cancel_payment
from toss_graphql.domain.cancel_requests import CancelArguments, CancelResult
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import Order, Principal
from toss_graphql.domain.orders import CreateOrderRequest, LineRequest, create_order
from toss_graphql.domain.ports.gateway import RefundAccount, VirtualAccount
from toss_graphql.domain.services import Services

KEY = "tgen_deposited_account"
ACCOUNT = RefundAccount(bank="88", account_number="110-123-456789", holder_name="홍길동")


async def _paid(
    services: Services, alice: Principal, gateway: FakeGateway, *, deposited_account: bool
) -> Order:
    order = await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("latte")]))
    payment = approved(KEY, order.order_id, order.amount)
    if deposited_account:
        # Paid into: DONE, with its account (what the deposit webhook settles).
        account = VirtualAccount("X1234567890123", "20", "홍길동", "2026-12-01T00:00:00")
        payment = dataclasses.replace(payment, method="가상계좌", virtual_account=account)
    gateway.confirm_outcome = payment
    await confirm_payment(
        services, alice, payment_key=KEY, order_id=order.order_id, amount=order.amount
    )
    return order


async def _cancel(
    services: Services, alice: Principal, order: Order, **arguments: object
) -> CancelResult:
    return await cancel_payment(
        services,
        alice,
        CancelArguments(buyer="alice", order_name=order.order_name, reason="변심", **arguments),  # type: ignore[arg-type]
    )


async def test_a_deposited_account_canceled_without_a_refund_account_is_refused_before_toss(
    services: Services, alice: Principal, gateway: FakeGateway, store: MemoryStore
) -> None:
    order = await _paid(services, alice, gateway, deposited_account=True)
    events_before = len(store.events)

    with pytest.raises(DomainError) as refused:
        await _cancel(services, alice, order)

    assert (refused.value.code, refused.value.field) == (
        ErrorCode.REFUND_ACCOUNT_REQUIRED,
        "refundReceiveAccount",
    )
    assert gateway.cancel_calls == []
    assert len(store.events) == events_before, "nothing is stored for a refused cancel"


async def test_a_refund_account_is_sent_to_toss_and_kept_masked_only(
    services: Services, alice: Principal, gateway: FakeGateway, store: MemoryStore
) -> None:
    order = await _paid(services, alice, gateway, deposited_account=True)

    result = await _cancel(services, alice, order, refund_account=ACCOUNT)

    assert result.cancel is not None
    assert gateway.refund_accounts == [
        RefundAccount(bank="88", account_number="110123456789", holder_name="홍길동")
    ]
    (request,) = store.cancel_requests.values()
    assert request.refund_account_masked == "88 ********6789 홍*동"
    stored = repr(store.cancel_requests) + repr(store.events)
    assert "110123456789" not in stored and "홍길동" not in stored


@pytest.mark.parametrize(
    ("account", "field"),
    [
        (RefundAccount("신한", "110123456789", "홍길동"), "refundReceiveAccount.bank"),
        (RefundAccount("88", "110-12A-4567", "홍길동"), "refundReceiveAccount.accountNumber"),
        (RefundAccount("88", "1" * 21, "홍길동"), "refundReceiveAccount.accountNumber"),
        (RefundAccount("88", "110123456789", " "), "refundReceiveAccount.holderName"),
        (RefundAccount("88", "110123456789", "가" * 61), "refundReceiveAccount.holderName"),
    ],
)
async def test_a_malformed_refund_account_is_invalid_input_naming_its_field(
    services: Services,
    alice: Principal,
    gateway: FakeGateway,
    account: RefundAccount,
    field: str,
) -> None:
    order = await _paid(services, alice, gateway, deposited_account=True)

    with pytest.raises(DomainError) as refused:
        await _cancel(services, alice, order, refund_account=account)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert gateway.cancel_calls == []


async def test_a_card_payment_is_refunded_to_the_card_whatever_account_is_named(
    services: Services, alice: Principal, gateway: FakeGateway
) -> None:
    order = await _paid(services, alice, gateway, deposited_account=False)

    await _cancel(services, alice, order, refund_account=ACCOUNT)

    assert gateway.refund_accounts == [None]


async def test_a_repeat_naming_another_account_is_a_reused_key(
    services: Services, alice: Principal, gateway: FakeGateway
) -> None:
    order = await _paid(services, alice, gateway, deposited_account=True)
    await _cancel(services, alice, order, refund_account=ACCOUNT, idempotency_key="refund-1")
    other = dataclasses.replace(ACCOUNT, account_number="220123456789")

    with pytest.raises(DomainError) as refused:
        await _cancel(services, alice, order, refund_account=other, idempotency_key="refund-1")
    repeated = await _cancel(
        services, alice, order, refund_account=ACCOUNT, idempotency_key="refund-1"
    )

    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert repeated.cancel is not None
    assert len(gateway.cancel_calls) == 1, "the repeat answers the first refund"
