from __future__ import annotations

import pytest

from tests.conftest import token_for
from tests.support.database import seed_catalog
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
