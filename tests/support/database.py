"""Direct database steps for tests: seeding the catalog."""

from __future__ import annotations

from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.demo import DEMO_PRODUCTS


async def seed_catalog(database_url: str) -> None:
    engine = create_database_engine(database_url)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            for product in DEMO_PRODUCTS:
                await uow.products.upsert(product)
    finally:
        await engine.dispose()
