from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import token_for
from tests.support.database import seed_catalog
from toss_graphql.db.engine import create_database_engine
from toss_graphql.domain.models import Role


@pytest.fixture
async def catalog(clean_database: str) -> None:
    await seed_catalog(clean_database)


@pytest.fixture
def alice() -> str:
    return token_for("alice")


@pytest.fixture
def mallory() -> str:
    return token_for("mallory")


@pytest.fixture
def admin() -> str:
    return token_for("ops", Role.ADMIN)


@pytest.fixture
async def engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's clean database; a module may override it with one that seeds."""
    engine = create_database_engine(clean_database)
    try:
        yield engine
    finally:
        await engine.dispose()
