"""A cancel request whose caller still waits for the order's lock is its caller's: the
reconciler fails only one whose caller has gone silent for longer than the lease, on both
databases."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta

from tests.integration.money.support import ALICE, LEASE, ManualClock, paid_order
from toss_graphql.domain.cancel import CancelArguments, CancelResult, cancel_payment
from toss_graphql.domain.models import CancelRequest, CancelRequestStatus, OrderStatus
from toss_graphql.domain.order_lock import OrderLock
from toss_graphql.domain.reconcile import ReconcilePolicy, settle_unknown_outcomes
from toss_graphql.domain.services import Services

# A reconciler configured to take requests untouched for a second.
POLICY = ReconcilePolicy(min_age=timedelta(seconds=1))
# The budget of a hang, never of speed.
HANG = 60
KEY = "k-queued"


def _ask() -> CancelArguments:
    return CancelArguments(
        buyer="alice", order_name="정기 구독", reason="변심", idempotency_key=KEY
    )


async def _request(services: Services) -> CancelRequest:
    async with services.unit_of_work() as uow:
        request = await uow.cancel_requests.get_by_client_key("alice", KEY)
    assert request is not None
    return request


async def _queued_past_the_lease(
    services: Services, clock: ManualClock, order_id: str
) -> asyncio.Task[CancelResult]:
    """A cancel queued behind another holder of the order's lock, parked between two tries
    once it has waited longer than the lease; then the holder lets go, so the lock is free
    for whoever tries first."""
    holder = OrderLock(services, order_id)
    assert await holder.acquire(timedelta(0))

    async def holder_renews() -> None:
        # The holder is alive too: it renews its lease as time goes by.
        assert await holder.acquire(timedelta(0))

    clock.each_sleep = holder_renews
    clock.park_after = LEASE + timedelta(seconds=2)
    queued = asyncio.create_task(cancel_payment(services, ALICE, _ask()))
    await asyncio.wait_for(clock.parked.wait(), HANG)
    clock.each_sleep = None
    await holder.release()
    return queued


async def test_a_reconcile_pass_leaves_a_cancel_whose_caller_waits_for_the_lock(
    services: Services, clock: ManualClock
) -> None:
    order = await paid_order(services)
    queued = await _queued_past_the_lease(services, clock, order.order_id)

    # The reconciler takes the free lock first; the request is older than its min_age and
    # than the lease, never sent: only its caller's signs of life say it is not abandoned.
    await settle_unknown_outcomes(services, POLICY)
    assert (await _request(services)).status is CancelRequestStatus.PENDING

    clock.resume.set()
    result = await asyncio.wait_for(queued, HANG)
    assert result.order.status is OrderStatus.CANCELED
    assert result.cancel is not None and result.cancel.cancel_amount == order.amount
    done = await _request(services)
    assert (done.status, done.transaction_key) == (
        CancelRequestStatus.SUCCEEDED,
        result.cancel.transaction_key,
    )
    # A repeat with the same key gets the same refund, not an error.
    again = await cancel_payment(services, ALICE, _ask())
    assert again.cancel == result.cancel


async def test_a_request_silent_for_longer_than_the_lease_is_failed_unless_it_speaks_first(
    services: Services, clock: ManualClock
) -> None:
    order = await paid_order(services)
    holder = OrderLock(services, order.order_id)
    assert await holder.acquire(timedelta(0))
    # Its caller stored it and died before asking Toss.
    queued = asyncio.create_task(cancel_payment(services, ALICE, _ask()))
    clock.park_after = timedelta(0)
    await asyncio.wait_for(clock.parked.wait(), HANG)
    queued.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await queued
    request = await _request(services)
    clock.advance(LEASE + timedelta(seconds=1))
    stale_before = clock() - LEASE
    failed = dataclasses.replace(request, status=CancelRequestStatus.FAILED)

    # A sign of life committed before the reconciler writes wins over it.
    async with services.unit_of_work() as uow:
        assert await uow.cancel_requests.touch(request.request_id, clock())
    async with services.unit_of_work() as uow:
        assert not await uow.cancel_requests.fail_if_abandoned(failed, stale_before=stale_before)
    assert (await _request(services)).status is CancelRequestStatus.PENDING

    # Silent for longer than the lease again: the reconciler fails it, and nothing was refunded.
    clock.advance(LEASE + timedelta(seconds=1))
    await holder.release()
    await settle_unknown_outcomes(services, POLICY)
    gone = await _request(services)
    assert (gone.status, gone.error_code) == (CancelRequestStatus.FAILED, "GATEWAY_UNAVAILABLE")
    async with services.unit_of_work() as uow:
        assert not await uow.cancel_requests.touch(request.request_id, clock())
        paid = await uow.orders.get(order.order_id)
    assert paid is not None and paid.status is OrderStatus.PAID
