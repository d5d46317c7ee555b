"""The order state machine (DESIGN §3), written down once.

Every status change is a compare-and-set whose allowed source states come from this table,
so a transition the table does not list can never be written.
"""

from __future__ import annotations

from .models import OrderStatus

S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # FAILED is not final: the buyer may retry with a new checkout of the same order.
    S.PENDING: frozenset({S.CONFIRMING, S.FAILED}),
    S.FAILED: frozenset({S.CONFIRMING, S.FAILED}),
    S.CONFIRMING: frozenset({S.PAID, S.FAILED, S.WAITING_FOR_DEPOSIT}),
    # A virtual account: issued at confirm, paid when the buyer deposits, or canceled before.
    S.WAITING_FOR_DEPOSIT: frozenset({S.PAID, S.CANCELED}),
    S.PAID: frozenset({S.PARTIALLY_CANCELED, S.CANCELED}),
    S.PARTIALLY_CANCELED: frozenset({S.PARTIALLY_CANCELED, S.CANCELED}),
    S.CANCELED: frozenset(),
}

PAID_STATES = frozenset({S.PAID, S.PARTIALLY_CANCELED, S.CANCELED})


def sources_of(target: OrderStatus) -> frozenset[OrderStatus]:
    """The states from which an order may move to `target`."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)


def can_move(source: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[source]
