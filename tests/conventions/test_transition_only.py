"""Rule 1 (CONVENTIONS.md): an order's status changes only through `transition`, and every
caller handles its result.

`transition` writes one edge of domain/state_machine.py as a compare-and-set, and answers
whether it moved the order. So two things are checked: in db/, the one UPDATE of the orders
table that sets `status` is the transition's own statement; and in the domain, no call of
`transition` drops its answer, since a refused move means another caller got there first and
whatever follows must not act as though this one had.
"""

from __future__ import annotations

import ast
import re

from tests.conventions.source import (
    Function,
    Sources,
    all_functions,
    called_name,
    package_sources,
    where,
)

# The one function of db/ that may write an order's status.
TRANSITION_STATEMENT = "_transition_statement"
RAW_STATUS_UPDATE = re.compile(r"\bUPDATE\s+orders\b[^;]*\bSET\b[^;]*\bstatus\s*=", re.I | re.S)


def _updates_orders(function: Function) -> bool:
    return any(
        isinstance(node, ast.Call)
        and called_name(node) == "update"
        and any(isinstance(arg, ast.Name) and arg.id == "orders" for arg in node.args)
        for node in ast.walk(function)
    )


def _sets_status(function: Function) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.keyword) and node.arg == "status":
            return True
        if isinstance(node, ast.Dict) and any(
            isinstance(key, ast.Constant) and key.value == "status" for key in node.keys
        ):
            return True
    return False


def status_writes_besides_transition(sources: Sources) -> list[str]:
    found = []
    for module, function in all_functions(sources):
        if function.name == TRANSITION_STATEMENT:
            continue
        if _updates_orders(function) and _sets_status(function):
            found.append(where(module, function, function))
    for module, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and RAW_STATUS_UPDATE.search(node.value)
            ):
                found.append(f"{where(module, node)}: raw UPDATE of orders.status")
    return sorted(set(found))


def _is_transition(node: ast.AST | None) -> bool:
    inner = node.value if isinstance(node, ast.Await) else node
    return isinstance(inner, ast.Call) and called_name(inner) == "transition"


def _read_names(function: Function) -> set[str]:
    return {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def unhandled_transitions(sources: Sources) -> list[str]:
    """Each `transition(...)` whose answer is thrown away: a bare statement, or bound to a
    name never read (`_` included)."""
    found = []
    for module, function in all_functions(sources):
        read = _read_names(function)
        for node in ast.walk(function):
            if isinstance(node, ast.Expr) and _is_transition(node.value):
                found.append(where(module, node, function))
            elif isinstance(node, ast.Assign | ast.AnnAssign) and _is_transition(node.value):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [target.id for target in targets if isinstance(target, ast.Name)]
                if names and not any(name in read and name != "_" for name in names):
                    found.append(where(module, node, function))
    return sorted(set(found))


def test_only_the_transition_statement_writes_an_order_status() -> None:
    assert status_writes_besides_transition(package_sources()) == []


def test_every_transition_answer_is_handled() -> None:
    assert unhandled_transitions(package_sources("domain")) == []


def test_a_status_written_outside_transition_is_caught() -> None:
    source = """
class SqlOrderRepository:
    async def mark_paid(self, order_id):
        await self._connection.execute(
            update(orders).where(orders.c.order_id == order_id).values(status="PAID")
        )

    async def flag_attention(self, order_id, reason):
        await self._connection.execute(update(orders).values(attention=reason))

REPAIR = "UPDATE orders SET status = 'PAID' WHERE order_id = ?"
"""
    assert status_writes_besides_transition({"repositories.py": source}) == [
        "repositories.py:11: raw UPDATE of orders.status",
        "repositories.py:3 in mark_paid",
    ]


def test_a_dropped_transition_answer_is_caught() -> None:
    source = """
async def fail_payment(uow, order_id, now):
    await uow.orders.transition(order_id, OrderEvent.CHECKOUT_FAILED, now=now)
    moved = await uow.orders.transition(order_id, OrderEvent.CHECKOUT_FAILED, now=now)
    _ = await uow.orders.transition(order_id, OrderEvent.CHECKOUT_FAILED, now=now)
    return order_id
"""
    assert unhandled_transitions({"confirm.py": source}) == [
        "confirm.py:3 in fail_payment",
        "confirm.py:4 in fail_payment",
        "confirm.py:5 in fail_payment",
    ]


def test_a_handled_transition_answer_passes() -> None:
    source = """
async def fail_payment(uow, order_id, now):
    if not await uow.orders.transition(order_id, OrderEvent.CHECKOUT_FAILED, now=now):
        return None
    moved = await uow.orders.transition(order_id, OrderEvent.CONFIRM_REFUSED, now=now)
    return moved
"""
    assert unhandled_transitions({"confirm.py": source}) == []
