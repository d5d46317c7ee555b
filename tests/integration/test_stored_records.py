"""What the repositories read back is typed: a payment's Toss status and virtual account, the
inbox's statuses, pending cancel requests; on both databases."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.stats import read_service_stats
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.domain.models import (
    CancelRequest,
    CancelRequestStatus,
    InboxStatus,
    Order,
    OrderStatus,
    Payment,
    Webhook,
    WebhookEventType,
)
from toss_graphql.domain.ports.gateway import PaymentCard, TossPaymentStatus, VirtualAccount
from toss_graphql.domain.state_machine import OrderEvent

NOW = datetime(2026, 11, 22, tzinfo=UTC)
ORDER_ID = "order-stored-1"
ACCOUNT_JSON = {
    "accountType": "일반",
    "accountNumber": "X6516657019137",
    "bankCode": "20",
    "customerName": "김토스",
    "dueDate": "2026-11-29T23:59:59",
    "expired": False,
}


@pytest.fixture
async def engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_database_engine(clean_database)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            await uow.orders.add(
                Order(
                    order_id=ORDER_ID,
                    buyer="alice",
                    order_name="라떼 2잔",
                    amount=10000,
                    status=OrderStatus.PENDING,
                    created_at=NOW,
                    updated_at=NOW,
                ),
                [],
            )
        yield engine
    finally:
        await engine.dispose()


def payment(status: TossPaymentStatus, raw: dict[str, object]) -> Payment:
    return Payment(
        payment_key="tgen_stored",
        order_id=ORDER_ID,
        method="가상계좌",
        total_amount=10000,
        balance_amount=10000,
        toss_status=status,
        approved_at=None,
        receipt_url=None,
        raw=raw,
    )


async def read_payment(engine: AsyncEngine) -> Payment:
    async with UnitOfWorkFactory(engine)() as uow:
        return (await uow.payments.get_many_by_order_id([ORDER_ID]))[ORDER_ID]


async def test_a_stored_payment_reads_back_its_status_and_virtual_account(
    engine: AsyncEngine,
) -> None:
    raw: dict[str, object] = {
        "status": "WAITING_FOR_DEPOSIT",
        "virtualAccount": ACCOUNT_JSON,
        "secret": "ps_x",
    }
    async with UnitOfWorkFactory(engine)() as uow:
        await uow.payments.save(payment(TossPaymentStatus.WAITING_FOR_DEPOSIT, raw), NOW)

    stored = await read_payment(engine)

    assert stored.toss_status is TossPaymentStatus.WAITING_FOR_DEPOSIT
    assert stored.virtual_account == VirtualAccount(
        account_number="X6516657019137",
        bank_code="20",
        customer_name="김토스",
        due_date="2026-11-29T23:59:59",
    )
    assert stored.raw == raw

    async with UnitOfWorkFactory(engine)() as uow:
        await uow.payments.save(payment(TossPaymentStatus.DONE, {**raw, "status": "DONE"}), NOW)
    assert (await read_payment(engine)).toss_status is TossPaymentStatus.DONE


@pytest.mark.parametrize(
    "raw",
    [{}, {"virtualAccount": None}, {"virtualAccount": {"bankCode": "20"}}],
    ids=["none", "null", "no account number"],
)
async def test_a_stored_payment_without_an_account_number_has_no_virtual_account(
    engine: AsyncEngine, raw: dict[str, object]
) -> None:
    async with UnitOfWorkFactory(engine)() as uow:
        await uow.payments.save(payment(TossPaymentStatus.DONE, raw), NOW)

    assert (await read_payment(engine)).virtual_account is None


async def test_pending_cancel_requests_and_received_webhooks_are_found_and_counted(
    engine: AsyncEngine,
) -> None:
    request = CancelRequest(
        request_id="r1",
        buyer="alice",
        order_name="라떼 2잔",
        reason="변심",
        requested_amount=None,
        requested_order_id=None,
        client_key=None,
        toss_idempotency_key="cancel-r1",
        order_id=ORDER_ID,
        status=CancelRequestStatus.PENDING,
        created_at=NOW,
        updated_at=NOW,
    )
    webhooks = [
        Webhook(
            transmission_id=f"whtrans_{number}",
            event_type=WebhookEventType.PAYMENT_STATUS_CHANGED,
            order_id=ORDER_ID,
            payment_key="tgen_stored",
            claimed_status="DONE",
            secret=None,
            retried_count=0,
            received_at=NOW,
        )
        for number in range(2)
    ]
    async with UnitOfWorkFactory(engine)() as uow:
        assert await uow.cancel_requests.add(request)
        for webhook in webhooks:
            assert await uow.webhooks.add(webhook)
    async with UnitOfWorkFactory(engine)() as uow:
        settling = await uow.orders.needing_settlement(
            changed_before=NOW + timedelta(minutes=1), limit=10
        )
        await uow.webhooks.finish(
            "whtrans_0", status=InboxStatus.PROCESSED, outcome="in line", now=NOW
        )

    assert settling == [ORDER_ID]
    async with UnitOfWorkFactory(engine)() as uow:
        waiting = await uow.webhooks.unprocessed(10)
    assert [webhook.transmission_id for webhook in waiting] == ["whtrans_1"]
    stats = await read_service_stats(engine)
    assert (stats.cancel_requests_pending, stats.webhooks_unprocessed) == (1, 1)


async def test_a_payment_read_back_in_its_own_transaction_is_what_the_database_stores(
    engine: AsyncEngine,
) -> None:
    """Within the transaction that wrote it, a payment is answered from what was written;
    it must equal what a later transaction reads from the database."""
    approved = dataclasses.replace(
        payment(TossPaymentStatus.DONE, {"status": "DONE", "card": {"number": "4330****"}}),
        method="카드",
        approved_at=NOW - timedelta(seconds=3),
        receipt_url="https://receipts.example/r1",
        # As every builder of a Payment reads it from the JSON (domain/toss_records.py).
        card=PaymentCard(number="4330****"),
    )
    async with UnitOfWorkFactory(engine)() as uow:
        assert await uow.payments.get_many_by_order_id([ORDER_ID]) == {}
        await uow.payments.save(approved, NOW)
        within = await uow.payments.get_many_by_order_id([ORDER_ID, "order-without-payment"])
    assert within == {ORDER_ID: approved}
    assert await read_payment(engine) == approved

    partly_canceled = dataclasses.replace(
        approved, balance_amount=4000, toss_status=TossPaymentStatus.PARTIAL_CANCELED
    )
    async with UnitOfWorkFactory(engine)() as uow:
        # An update never rewrites a payment's total: what is read back is what is stored.
        await uow.payments.save(dataclasses.replace(partly_canceled, total_amount=99_000), NOW)
        assert await uow.payments.get_many_by_order_id([ORDER_ID]) == {ORDER_ID: partly_canceled}
    assert await read_payment(engine) == partly_canceled

    async with UnitOfWorkFactory(engine)() as uow:
        await uow.payments.remove(approved.payment_key)
        assert await uow.payments.get_many_by_order_id([ORDER_ID]) == {}
    async with UnitOfWorkFactory(engine)() as uow:
        assert await uow.payments.get_many_by_order_id([ORDER_ID]) == {}


async def test_an_order_is_read_with_its_payment_in_one_statement(engine: AsyncEngine) -> None:
    async with UnitOfWorkFactory(engine)() as uow:
        alone = await uow.orders.get_with_payment(ORDER_ID)
        missing = await uow.orders.get_with_payment("order-nobody-made")
        await uow.payments.save(payment(TossPaymentStatus.DONE, {"status": "DONE"}), NOW)
    async with UnitOfWorkFactory(engine)() as uow:
        order = await uow.orders.get(ORDER_ID)
        paid = await uow.orders.get_with_payment(ORDER_ID)

    assert missing is None
    assert alone == (order, None)
    assert paid == (order, await read_payment(engine))


async def test_a_transition_may_require_the_exact_status_it_leaves(engine: AsyncEngine) -> None:
    """PENDING and FAILED may both be claimed; a claim that read PENDING must not take a
    FAILED order, so that its audit line names the status it really left."""
    claim = OrderEvent.CONFIRM_CLAIMED
    async with UnitOfWorkFactory(engine)() as uow:
        as_failed = await uow.orders.transition(
            ORDER_ID, claim, now=NOW, payment_key="tgen_a", expected_status=OrderStatus.FAILED
        )
        as_pending = await uow.orders.transition(
            ORDER_ID, claim, now=NOW, payment_key="tgen_b", expected_status=OrderStatus.PENDING
        )
        order = await uow.orders.get(ORDER_ID)

    assert (as_failed, as_pending) == (False, True)
    assert order is not None
    assert (order.status, order.payment_key) == (OrderStatus.CONFIRMING, "tgen_b")
