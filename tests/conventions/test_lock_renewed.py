"""Rule 4 (CONVENTIONS.md): a holder of an order's lock renews it before each call to Toss
and holds it in the very transaction that writes the order's books.

domain/order_lock.py explains why: the lease is sized to outlast one Toss call, and what
keeps the books whole when it does not is the check in the writing transaction (`hold`). A
function holds the lock when it is handed one (a `lock` parameter) or takes one
(`order_lock(...)`). Checked in it:

- between two calls to Toss there is a renewal: `lock.keep()`, `lock.hold(uow)`,
  `lock.renew(uow)`, taking the lock, or handing it to a function that renews it. Taking or
  being handed the lock counts for the first call (a function handed the lock is fresh: its
  caller is checked for handing it over fresh, unless the function renews before its own
  first call). A loop's body is followed twice, as its second round runs after the first;
- every unit of work that writes the books (orders, payments, cancels; directly or through
  the functions it hands `uow` to) holds or renews the lock before its first write;
- a function that writes the books in a transaction of its own is handed the lock.

The lock row itself and the audit log are not the books: writing them needs no renewal.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.conventions.source import (
    Function,
    Sources,
    all_functions,
    called_name,
    calls_in_order,
    calls_toss,
    dotted,
    package_sources,
    reaching,
    toss_callers,
    units_of_work,
    where,
)

BOOKS = frozenset({"orders", "payments", "cancels"})
READS = frozenset(
    {
        "get",
        "get_with_payment",
        "get_many",
        "get_many_by_order_id",
        "transaction_keys",
        "last_canceled_at",
        "find_by_name",
        "list",
        "needing_settlement",
    }
)
LOCK_ROW = frozenset({"claim_lock", "renew_lock", "release_lock"})
RENEWALS = frozenset({"keep", "hold", "renew", "acquire", "claim"})


def _writes_books_directly(call: ast.Call) -> bool:
    parts = dotted(call.func)
    return (
        len(parts) == 3
        and parts[0] == "uow"
        and parts[1] in BOOKS
        and parts[2] not in READS | LOCK_ROW
    )


def _hands_lock(call: ast.Call) -> bool:
    values = [*call.args, *(keyword.value for keyword in call.keywords)]
    return any(isinstance(value, ast.Name) and value.id == "lock" for value in values)


def _renews(call: ast.Call) -> bool:
    parts = dotted(call.func)
    if parts[:1] == ["lock"] and parts[-1] in RENEWALS:
        return True
    return called_name(call) == "order_lock"


def _holds_lock(function: Function) -> bool:
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    if any(argument.arg == "lock" for argument in every):
        return True
    return any(called_name(call) == "order_lock" for call in calls_in_order(function))


@dataclass
class _Program:
    sources: Sources
    toss: set[str] = field(init=False)
    book_writers: set[str] = field(init=False)
    definitions: dict[str, tuple[str, Function]] = field(init=False)
    renewing_first: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.toss = toss_callers(self.sources)
        self.book_writers = reaching(self.sources, _writes_books_directly)
        self.definitions = {f.name: (module, f) for module, f in all_functions(self.sources)}

    def renews_first(self, name: str | None) -> bool:
        """Whether the function renews the lock before each of its calls to Toss, its first
        included: handed the lock without a fresh renewal, it still renews in time."""
        if name is None or name not in self.definitions:
            return False
        if name not in self.renewing_first:
            self.renewing_first[name] = False  # a cycle proves nothing
            module, function = self.definitions[name]
            gaps: list[str] = []
            self.follow(function.body, fresh=False, module=module, function=function, gaps=gaps)
            self.renewing_first[name] = not gaps
        return self.renewing_first[name]

    def renews_somewhere(self, name: str | None) -> bool:
        if name is None or name not in self.definitions:
            return False
        return any(_renews(call) for call in calls_in_order(self.definitions[name][1]))

    def follow(
        self,
        statements: Sequence[ast.stmt],
        *,
        fresh: bool,
        module: str,
        function: Function,
        gaps: list[str],
    ) -> bool:
        """Walk `statements` in order: whether the lock is fresh after them; each call to
        Toss made while it is not is added to `gaps`."""
        for statement in statements:
            fresh = self._step(statement, fresh, module, function, gaps)
        return fresh

    def _step(
        self, statement: ast.stmt, fresh: bool, module: str, function: Function, gaps: list[str]
    ) -> bool:
        def follow(body: Sequence[ast.stmt], start: bool) -> bool:
            return self.follow(body, fresh=start, module=module, function=function, gaps=gaps)

        if isinstance(statement, ast.For | ast.AsyncFor | ast.While):
            fresh = self._calls(
                statement.iter if not isinstance(statement, ast.While) else statement.test,
                fresh,
                module,
                function,
                gaps,
            )
            once = follow(statement.body, fresh)
            twice = follow(statement.body, once)
            after_else = follow(statement.orelse, fresh and twice)
            return fresh and twice and after_else
        if isinstance(statement, ast.If):
            fresh = self._calls(statement.test, fresh, module, function, gaps)
            return follow(statement.body, fresh) and follow(statement.orelse, fresh)
        if isinstance(statement, ast.Try | ast.TryStar):
            after_body = follow(statement.body, fresh)
            handled = [follow(handler.body, fresh and after_body) for handler in statement.handlers]
            after_else = follow(statement.orelse, after_body)
            joined = after_else and all(handled)
            return follow(statement.finalbody, joined) if statement.finalbody else joined
        if isinstance(statement, ast.With | ast.AsyncWith):
            for item in statement.items:
                fresh = self._calls(item.context_expr, fresh, module, function, gaps)
            return follow(statement.body, fresh)
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return fresh
        return self._calls(statement, fresh, module, function, gaps)

    def _calls(
        self, node: ast.AST, fresh: bool, module: str, function: Function, gaps: list[str]
    ) -> bool:
        for call in [node] if isinstance(node, ast.Call) else []:
            fresh = self._call(call, fresh, module, function, gaps)
        for call in calls_in_order(node):
            fresh = self._call(call, fresh, module, function, gaps)
        return fresh

    def _call(
        self, call: ast.Call, fresh: bool, module: str, function: Function, gaps: list[str]
    ) -> bool:
        if _renews(call):
            return True
        name = called_name(call)
        if calls_toss(call, self.toss):
            if not fresh and not (_hands_lock(call) and self.renews_first(name)):
                gaps.append(f"{where(module, call, function)}: {ast.unparse(call.func)}")
            return False
        if _hands_lock(call) and self.renews_somewhere(name):
            return True
        return fresh


def toss_calls_without_renewal(sources: Sources) -> list[str]:
    program = _Program(sources)
    gaps: list[str] = []
    for module, function in all_functions(sources):
        if _holds_lock(function):
            program.follow(function.body, fresh=True, module=module, function=function, gaps=gaps)
    return sorted(set(gaps))


def book_writes_without_the_lock(sources: Sources) -> list[str]:
    program = _Program(sources)
    found = []
    for module, function in all_functions(sources):
        if not _holds_lock(function):
            continue
        inside: set[int] = set()
        for block in units_of_work(function):
            held = False
            for call in calls_in_order(block):
                inside.add(id(call))
                if _renews(call):
                    held = True
                writes = _writes_books_directly(call) or (
                    called_name(call) in program.book_writers and not _hands_lock(call)
                )
                if writes and not held:
                    found.append(f"{where(module, call, function)}: {ast.unparse(call.func)}")
        for call in calls_in_order(function):
            if id(call) in inside or _hands_lock(call) or call.func is None:
                continue
            if called_name(call) in program.book_writers and not _writes_books_directly(call):
                found.append(f"{where(module, call, function)}: {ast.unparse(call.func)} unlocked")
    return sorted(set(found))


def test_every_toss_call_under_the_lock_follows_a_renewal() -> None:
    assert toss_calls_without_renewal(package_sources("domain")) == []


def test_every_write_of_the_books_under_the_lock_holds_it() -> None:
    assert book_writes_without_the_lock(package_sources("domain")) == []


def test_a_second_toss_call_without_renewal_is_caught() -> None:
    source = """
async def settle(services, order, lock):
    toss = await services.gateway.get_payment(order.payment_key, checkout=None)
    if toss.status == "IN_PROGRESS":
        toss = await services.gateway.confirm(payment_key="k", order_id="o", amount=1)
    return toss
"""
    assert toss_calls_without_renewal({"reconcile.py": source}) == [
        "reconcile.py:5 in settle: services.gateway.confirm"
    ]


def test_a_toss_call_repeated_in_a_loop_without_renewal_is_caught() -> None:
    source = """
async def ask(services, request, lock):
    await lock.keep()
    for attempt in range(3):
        await services.gateway.cancel(idempotency_key=request.toss_idempotency_key)
"""
    assert toss_calls_without_renewal({"cancel_calls.py": source}) == [
        "cancel_calls.py:5 in ask: services.gateway.cancel"
    ]


def test_renewing_before_each_call_passes() -> None:
    source = """
async def mark_sent(services, request, lock):
    async with services.unit_of_work() as uow:
        await lock.hold(uow)

async def ask(services, request, lock):
    for attempt in range(3):
        await mark_sent(services, request, lock)
        await services.gateway.cancel(idempotency_key=request.toss_idempotency_key)

async def settle(services, order, lock):
    toss = await services.gateway.get_payment(order.payment_key, checkout=None)
    await lock.keep()
    toss = await services.gateway.confirm(payment_key="k", order_id="o", amount=1)
    await ask(services, None, lock)
"""
    assert toss_calls_without_renewal({"reconcile.py": source}) == []


def test_a_book_write_before_the_hold_is_caught() -> None:
    source = """
async def record(uow, order, now):
    await uow.payments.remove(order.payment_key)

async def settle(services, order, lock, now):
    async with services.unit_of_work() as uow:
        await uow.orders.flag_attention(order.order_id, reason="r", now=now)
        await lock.hold(uow)
    async with services.unit_of_work() as uow:
        await record(uow, order, now)

async def close(services, order, now):
    async with services.unit_of_work() as uow:
        await record(uow, order, now)

async def reconcile(services, order, lock, now):
    await close(services, order, now)
"""
    assert book_writes_without_the_lock({"reconcile.py": source}) == [
        "reconcile.py:10 in settle: record",
        "reconcile.py:17 in reconcile: close unlocked",
        "reconcile.py:7 in settle: uow.orders.flag_attention",
    ]


def test_holding_before_writing_passes() -> None:
    source = """
async def settle(services, order, lock, now):
    async with services.unit_of_work() as uow:
        await uow.orders.get(order.order_id)
    async with services.unit_of_work() as uow:
        if lock is not None:
            await lock.hold(uow)
        await uow.orders.flag_attention(order.order_id, reason="r", now=now)
        await uow.events.append(None)
"""
    assert book_writes_without_the_lock({"reconcile.py": source}) == []
