"""Walking the whole order state machine through a unit of work: every event tried on an
order in every status, for the database and for the unit tests' fake alike."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from toss_graphql.domain.models import Order, OrderStatus
from toss_graphql.domain.ports.storage import UnitOfWorkFactory
from toss_graphql.domain.state_machine import EDGES, OrderEvent

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CASES = list(itertools.product(OrderEvent, OrderStatus))
Step = tuple[str, str, bool, str]


def _order(index: int, status: OrderStatus) -> Order:
    return Order(
        order_id=f"walk-{index:04d}",
        buyer="alice",
        order_name="coffee",
        amount=4500,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        payment_key="pk-walk",
    )


async def walk(unit_of_work: UnitOfWorkFactory) -> list[Step]:
    """(event, from, moved, now) for every event tried on an order in every status."""
    async with unit_of_work() as uow:
        for index, (_, status) in enumerate(CASES):
            await uow.orders.add(_order(index, status), [])
    walked = []
    for index, (event, status) in enumerate(CASES):
        order_id = _order(index, status).order_id
        async with unit_of_work() as uow:
            moved = await uow.orders.transition(order_id, event, now=NOW)
            after = await uow.orders.get(order_id)
        assert after is not None
        walked.append((event.value, status.value, moved, after.status.value))
    return walked


def expected_walk() -> list[Step]:
    expected = []
    for event, status in CASES:
        edge = EDGES[event]
        allowed = status in edge.sources
        expected.append(
            (event.value, status.value, allowed, (edge.target if allowed else status).value)
        )
    return expected
