from __future__ import annotations

import pytest

from tests.support.fakes import FakeGateway, MemoryStore, memory_services
from toss_graphql.domain.models import Principal, Product, Role
from toss_graphql.domain.services import Services


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(
        products={
            "latte": Product("latte", "카페라테", 5000),
            "cake": Product("cake", "치즈케이크", 6500),
            "retired": Product("retired", "단종", 1000, active=False),
        }
    )


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def services(store: MemoryStore, gateway: FakeGateway) -> Services:
    return memory_services(store, gateway)


@pytest.fixture
def alice() -> Principal:
    return Principal("alice")


@pytest.fixture
def admin() -> Principal:
    return Principal("ops", Role.ADMIN)
