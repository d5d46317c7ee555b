"""The domain's services on the test's real database, with Toss faked and the clock in the
test's hands (`support.ManualClock`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.money.support import LEASE, ManualClock
from tests.support.fakes import FakeGateway
from toss_graphql.db.reads import order_reads
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.domain.services import Services


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
async def services(
    engine: AsyncEngine, gateway: FakeGateway, clock: ManualClock
) -> AsyncIterator[Services]:
    async with order_reads(engine) as reads:
        yield Services(
            unit_of_work=UnitOfWorkFactory(engine),
            reads=reads,
            gateway=gateway,
            clock=clock,
            sleep=clock.sleep,
            lock_lease=LEASE,
        )
