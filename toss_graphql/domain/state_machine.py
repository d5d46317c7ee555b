"""The order state machine (docs/architecture.md §3), written down once.

An order moves only by an `OrderEvent`, and each event is one edge of the table below: the
states it may start from and the one it leads to. Repositories take the event, never a set of
states, and write it as one compare-and-set against the edge's sources, so a transition the
table does not list can never be written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .models import OrderStatus

S = OrderStatus


class OrderEvent(StrEnum):
    # A confirm claims the order for its checkout; or Toss shows a checkout approved that no
    # confirm here claimed (made by another instance whose reply was lost), and it is bound.
    CONFIRM_CLAIMED = "CONFIRM_CLAIMED"
    # Toss refused, aborted or never saw the claimed checkout: nothing was charged.
    CONFIRM_REFUSED = "CONFIRM_REFUSED"
    # The buyer's checkout failed in Toss's window, before any confirm (failPayment).
    CHECKOUT_FAILED = "CHECKOUT_FAILED"
    PAYMENT_APPROVED = "PAYMENT_APPROVED"
    # A virtual account was issued at confirm: paid when the buyer deposits, or closed before.
    ACCOUNT_ISSUED = "ACCOUNT_ISSUED"
    DEPOSIT_RECEIVED = "DEPOSIT_RECEIVED"
    ACCOUNT_CLOSED = "ACCOUNT_CLOSED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    FULLY_REFUNDED = "FULLY_REFUNDED"


@dataclass(frozen=True, slots=True)
class Edge:
    sources: frozenset[OrderStatus]
    target: OrderStatus


PAID_STATES = frozenset({S.PAID, S.PARTIALLY_CANCELED, S.CANCELED})
_REFUNDABLE = frozenset({S.PAID, S.PARTIALLY_CANCELED})

EDGES: dict[OrderEvent, Edge] = {
    # FAILED is not final: the buyer may retry with a new checkout of the same order.
    OrderEvent.CONFIRM_CLAIMED: Edge(frozenset({S.PENDING, S.FAILED}), S.CONFIRMING),
    OrderEvent.CONFIRM_REFUSED: Edge(frozenset({S.CONFIRMING}), S.FAILED),
    OrderEvent.CHECKOUT_FAILED: Edge(frozenset({S.PENDING, S.FAILED}), S.FAILED),
    OrderEvent.PAYMENT_APPROVED: Edge(frozenset({S.CONFIRMING}), S.PAID),
    OrderEvent.ACCOUNT_ISSUED: Edge(frozenset({S.CONFIRMING}), S.WAITING_FOR_DEPOSIT),
    OrderEvent.DEPOSIT_RECEIVED: Edge(frozenset({S.WAITING_FOR_DEPOSIT}), S.PAID),
    OrderEvent.ACCOUNT_CLOSED: Edge(frozenset({S.WAITING_FOR_DEPOSIT}), S.CANCELED),
    OrderEvent.PARTIALLY_REFUNDED: Edge(_REFUNDABLE, S.PARTIALLY_CANCELED),
    OrderEvent.FULLY_REFUNDED: Edge(_REFUNDABLE, S.CANCELED),
}

# The same table read by state: where each status may go next.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    status: frozenset(edge.target for edge in EDGES.values() if status in edge.sources)
    for status in OrderStatus
}


def edge(event: OrderEvent) -> Edge:
    return EDGES[event]


def sources_of(target: OrderStatus) -> frozenset[OrderStatus]:
    """The states from which an order may move to `target`, by any event."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)
