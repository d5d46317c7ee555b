from __future__ import annotations

from toss_graphql.domain.models import OrderStatus as S
from toss_graphql.domain.state_machine import TRANSITIONS, can_move, sources_of


def test_paid_and_canceled_orders_never_go_back() -> None:
    for source in (S.PAID, S.PARTIALLY_CANCELED, S.CANCELED):
        assert not can_move(source, S.CONFIRMING)
        assert not can_move(source, S.FAILED)
    assert TRANSITIONS[S.CANCELED] == frozenset()


def test_only_a_confirming_order_or_a_deposit_becomes_paid() -> None:
    assert sources_of(S.PAID) == {S.CONFIRMING, S.WAITING_FOR_DEPOSIT}


def test_a_failed_checkout_may_be_retried() -> None:
    assert sources_of(S.CONFIRMING) == {S.PENDING, S.FAILED}
