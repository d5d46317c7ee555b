"""Rule 3 (CONVENTIONS.md): no call to Toss inside a unit of work.

A transaction held open across a network call holds its locks (on SQLite, the whole
database's write lock) for as long as Toss takes to answer, and a rollback after Toss acted
would forget what Toss did (docs/architecture.md §3). A call counts when it is made in an
`async with ....unit_of_work()` block or in a function handed the caller's transaction (a
`uow` parameter), directly (`services.gateway.<method>`) or through a function that calls
Toss.
"""

from __future__ import annotations

import ast

from tests.conventions.source import (
    Sources,
    all_functions,
    calls_in_order,
    calls_toss,
    package_sources,
    takes_unit_of_work,
    toss_callers,
    units_of_work,
    where,
)


def toss_calls_in_transactions(sources: Sources) -> list[str]:
    callers = toss_callers(sources)
    found = []
    for module, function in all_functions(sources):
        scopes: list[ast.AST] = list(units_of_work(function))
        if takes_unit_of_work(function):
            scopes = [function]
        for scope in scopes:
            found += [
                f"{where(module, call, function)}: {ast.unparse(call.func)}"
                for call in calls_in_order(scope)
                if calls_toss(call, callers)
            ]
    return sorted(set(found))


def test_the_domain_calls_toss_outside_every_transaction() -> None:
    assert toss_calls_in_transactions(package_sources("domain")) == []


def test_a_toss_call_inside_a_unit_of_work_is_caught() -> None:
    source = """
async def confirm(services, order):
    async with services.unit_of_work() as uow:
        await uow.orders.get(order.order_id)
        return await services.gateway.confirm(payment_key="k", order_id="o", amount=1)
"""
    assert toss_calls_in_transactions({"confirm.py": source}) == [
        "confirm.py:5 in confirm: services.gateway.confirm"
    ]


def test_a_toss_call_through_another_function_or_a_handed_transaction_is_caught() -> None:
    source = """
async def read_toss(services, key):
    return await services.gateway.get_payment(key, checkout=None)

async def settle(services, key):
    async with services.unit_of_work() as uow:
        await uow.events.append(None)
        await read_toss(services, key)

async def record(uow, services, key):
    await uow.payments.save(await read_toss(services, key), None)
"""
    assert toss_calls_in_transactions({"settle.py": source}) == [
        "settle.py:11 in record: read_toss",
        "settle.py:8 in settle: read_toss",
    ]


def test_a_toss_call_after_the_transaction_passes() -> None:
    source = """
async def confirm(services, order):
    async with services.unit_of_work() as uow:
        await uow.orders.transition(order.order_id, "CONFIRM_CLAIMED", now=None)
    return await services.gateway.confirm(payment_key="k", order_id="o", amount=1)
"""
    assert toss_calls_in_transactions({"confirm.py": source}) == []
