from __future__ import annotations

from tests.support.fakes import MemoryStore, MemoryUnitOfWork
from tests.support.state_machine_walk import expected_walk, walk
from toss_graphql.domain.models import OrderStatus as S
from toss_graphql.domain.state_machine import EDGES, TRANSITIONS, OrderEvent, sources_of


def test_paid_and_canceled_orders_never_go_back() -> None:
    for source in (S.PAID, S.PARTIALLY_CANCELED, S.CANCELED):
        assert S.CONFIRMING not in TRANSITIONS[source]
        assert S.FAILED not in TRANSITIONS[source]
    assert TRANSITIONS[S.CANCELED] == frozenset()


def test_only_a_confirming_order_or_a_deposit_becomes_paid() -> None:
    assert sources_of(S.PAID) == {S.CONFIRMING, S.WAITING_FOR_DEPOSIT}


def test_a_failed_checkout_may_be_retried() -> None:
    assert sources_of(S.CONFIRMING) == {S.PENDING, S.FAILED}


def test_every_event_has_one_edge_and_every_status_is_in_the_table() -> None:
    assert set(EDGES) == set(OrderEvent)
    assert set(TRANSITIONS) == set(S)
    reachable = {edge.target for edge in EDGES.values()}
    assert reachable == set(S) - {S.PENDING}, "PENDING is where every order starts"


async def test_the_unit_tests_fake_enforces_the_same_table() -> None:
    store = MemoryStore()
    assert await walk(lambda: MemoryUnitOfWork(store)) == expected_walk()
