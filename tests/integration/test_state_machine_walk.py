"""The whole order state machine walked against the real database and the unit tests' fake:
each event moves an order from each of its sources to its target, and from every other
status it is refused and changes nothing."""

from __future__ import annotations

from tests.support.state_machine_walk import expected_walk, walk
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.domain.state_machine import EDGES


async def test_the_database_writes_exactly_the_table(clean_database: str) -> None:
    engine = create_database_engine(clean_database)
    try:
        walked = await walk(UnitOfWorkFactory(engine))
    finally:
        await engine.dispose()
    assert walked == expected_walk()
    assert sum(moved for _, _, moved, _ in walked) == sum(len(e.sources) for e in EDGES.values())
