"""Rule 2 (CONVENTIONS.md): the status a function answers with after a move is the moved
edge's target, `edge(event).target`, never a status written out.

The table in domain/state_machine.py is then the one place that says where an event leads:
an edge changed there changes what every caller answers, and no answer can name a status the
database was not moved to. A status literal stays legal only for the status no edge leads
to, the one an order is created in.
"""

from __future__ import annotations

import ast

from tests.conventions.source import Sources, all_functions, package_sources, where
from toss_graphql.domain.state_machine import EDGES

TARGETS = frozenset(edge.target.name for edge in EDGES.values())


def literal_statuses(sources: Sources) -> list[str]:
    """Each `status=OrderStatus.X` argument whose X is some edge's target."""
    found = []
    for module, function in all_functions(sources):
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg == "status"
                    and isinstance(value, ast.Attribute)
                    and isinstance(value.value, ast.Name)
                    and value.value.id == "OrderStatus"
                    and value.attr in TARGETS
                ):
                    found.append(f"{where(module, keyword, function)}: OrderStatus.{value.attr}")
    return sorted(set(found))


def test_the_domain_answers_with_edge_targets() -> None:
    assert literal_statuses(package_sources("domain")) == []


def test_a_status_written_out_after_a_move_is_caught() -> None:
    source = """
async def fail_payment(uow, order, now):
    if await uow.orders.transition(order.order_id, OrderEvent.CHECKOUT_FAILED, now=now):
        return dataclasses.replace(order, status=OrderStatus.FAILED, updated_at=now)
    return order
"""
    assert literal_statuses({"confirm.py": source}) == [
        "confirm.py:4 in fail_payment: OrderStatus.FAILED"
    ]


def test_the_edge_target_and_the_initial_status_pass() -> None:
    source = """
async def fail_payment(uow, order, now):
    if await uow.orders.transition(order.order_id, OrderEvent.CHECKOUT_FAILED, now=now):
        target = edge(OrderEvent.CHECKOUT_FAILED).target
        return dataclasses.replace(order, status=target, updated_at=now)
    return order

def new_order(order_id):
    return Order(order_id=order_id, status=OrderStatus.PENDING)
"""
    assert literal_statuses({"orders.py": source}) == []
