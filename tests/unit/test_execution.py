"""The short path for plain fields answers exactly what graphql-core answers, errors included
(toss_graphql/schema/execution.py)."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from tests.support.fakes import FakeGateway, MemoryStore, memory_services
from toss_graphql.domain import models
from toss_graphql.domain.ports.gateway import TossPaymentStatus, VirtualAccount
from toss_graphql.schema import execution
from toss_graphql.schema.context import Context
from toss_graphql.schema.execution import (
    PlainLeavesExecutionContext,
    execution_context_for,
    is_awaitable,
)
from toss_graphql.schema.schema import build_schema

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ORDER_FIELDS = """
  fragment OrderFields on Order {
    orderId buyer orderName amount status attention createdAt updatedAt __typename
    failure { code message }
    payment {
      paymentKey method totalAmount balanceAmount approvedAt receiptUrl
      virtualAccount { accountNumber bankCode customerName dueDate }
    }
    cancels { transactionKey orderId cancelAmount cancelReason canceledAt }
  }
"""
DOCUMENTS = [
    "{ orders(first: 10) { edges { cursor node { ...OrderFields } } "
    "pageInfo { hasNextPage endCursor } } }" + ORDER_FIELDS,
    '{ order(orderId: "order-paid") { ...OrderFields } }' + ORDER_FIELDS,
    """query Aliased($skip: Boolean!) {
        order(orderId: "order-waiting") {
          id: orderId again: orderId amount @skip(if: $skip) status @include(if: true)
          ...Money payment { ... on Payment { total: totalAmount } }
        }
      }
      fragment Money on Order { amount createdAt }""",
    "{ orders(first: 3, status: FAILED) { edges { node { orderId failure { code } } } } }",
]


def _order(order_id: str, status: models.OrderStatus, age: int, **extra: Any) -> models.Order:
    moment = NOW - timedelta(minutes=age)
    return models.Order(
        order_id, "alice", "카페라테 외 1건", 11500, status, moment, moment, **extra
    )


def _payment(order_id: str, account: VirtualAccount | None) -> models.Payment:
    return models.Payment(
        payment_key=f"pay-{order_id}",
        order_id=order_id,
        method="가상계좌" if account else "카드",
        total_amount=11500,
        balance_amount=6500,
        toss_status=TossPaymentStatus.DONE,
        approved_at=None if account else NOW,
        receipt_url=None if account else "https://receipts.example/1",
        virtual_account=account,
        raw={},
    )


def _store() -> MemoryStore:
    store = MemoryStore()
    paid = _order("order-paid", models.OrderStatus.PARTIALLY_CANCELED, 1, payment_key="pay-1")
    waiting = _order("order-waiting", models.OrderStatus.WAITING_FOR_DEPOSIT, 2)
    failed = _order(
        "order-failed",
        models.OrderStatus.FAILED,
        3,
        failure=models.Failure("PAY_PROCESS_CANCELED", "구매자가 결제를 취소했습니다"),
        attention="checked by hand",
    )
    for order in (paid, waiting, failed, _order("order-new", models.OrderStatus.PENDING, 4)):
        store.orders[order.order_id] = order
    store.payments["order-paid"] = _payment("order-paid", None)
    store.payments["order-waiting"] = _payment(
        "order-waiting", VirtualAccount("X1234", bank_code="20", customer_name=None, due_date=None)
    )
    store.cancels["tx-1"] = models.Cancel(
        transaction_key="tx-1",
        order_id="order-paid",
        payment_key="pay-order-paid",
        buyer="alice",
        order_name=paid.order_name,
        cancel_amount=5000,
        cancel_reason="단순 변심",
        canceled_at=NOW,
    )
    return store


class _NoLimits:
    async def check(self, buyer: str | None, address: str | None) -> int | None:
        return None


async def _run(schema: strawberry.Schema, document: str) -> tuple[Any, list[Any] | None]:
    services = memory_services(_store(), FakeGateway())
    context = Context(
        request=None,  # type: ignore[arg-type]
        response=None,
        services=services,
        principal=models.Principal("alice"),
        rate_limiter=_NoLimits(),
    )
    result = await schema.execute(document, context_value=context, variable_values={"skip": False})
    errors = [(error.message, error.path) for error in result.errors or []] or None
    return result.data, errors


def _graphql_core_schema() -> strawberry.Schema:
    """The project's schema executed by Strawberry's own context: the reference."""
    schema = build_schema()
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    return schema


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_the_schema_answers_as_graphql_core_does(
    document: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = build_schema()
    assert issubclass(schema.execution_context_class, PlainLeavesExecutionContext)
    answered = 0
    original = execution._plain_answer

    def counting(leaf: execution.PlainLeaf, source: Any) -> Any:
        nonlocal answered
        answered += 1
        return original(leaf, source)

    monkeypatch.setattr(execution, "_plain_answer", counting)
    data, errors = await _run(schema, document)
    assert answered > 0, "the short path was never taken"
    assert errors is None
    assert data and all(data.values())
    assert (data, errors) == await _run(_graphql_core_schema(), document)


def test_only_attributes_without_resolver_or_argument_take_the_short_path() -> None:
    leaves = execution_context_for(build_schema()._schema).leaves
    assert {"orderId", "amount", "status", "createdAt", "attention"} <= set(leaves["Order"])
    # Resolvers (payment, cancels, the edge's cursor) and object types go the long way.
    assert not {"payment", "cancels", "failure"} & set(leaves["Order"])
    assert "cursor" not in leaves.get("OrderEdge", {})
    assert "Query" not in leaves


class Shade(enum.Enum):
    LIGHT = "light"
    DARK = "dark"


@strawberry.enum
class Mood(enum.StrEnum):
    CALM = "CALM"


strawberry.enum(Shade)


class _Refuses:
    @property
    def name(self) -> str:
        raise RuntimeError("the attribute itself fails")


@strawberry.type
class Thing:
    name: str
    count: int
    note: str | None
    shade: Shade
    mood: Mood


def _broken_things() -> list[Any]:
    fine = Thing(name="fine", count=1, note=None, shade=Shade.DARK, mood=Mood.CALM)
    return [
        fine,
        Thing(name=None, count=2, note="x", shade=Shade.LIGHT, mood=Mood.CALM),  # type: ignore[arg-type]
        Thing(name="n", count="many", note=None, shade=Shade.LIGHT, mood=Mood.CALM),  # type: ignore[arg-type]
        Thing(name="n", count=3, note=None, shade="light", mood="CALM"),  # type: ignore[arg-type]
        Thing(name="n", count=4, note=None, shade="purple", mood=Mood.CALM),  # type: ignore[arg-type]
        _Refuses(),
    ]


@strawberry.type
class ThingQuery:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return _broken_things()


@pytest.mark.parametrize("selection", ["name", "count", "note", "shade", "mood"])
async def test_refusals_are_the_ones_graphql_core_gives(selection: str) -> None:
    short = strawberry.Schema(query=ThingQuery)
    short.execution_context_class = execution_context_for(short._schema)
    reference = strawberry.Schema(query=ThingQuery)
    document = f"{{ things {{ {selection} }} }}"
    answer = await short.execute(document)
    expected = await reference.execute(document)
    assert answer.data == expected.data
    assert [(e.message, e.path) for e in answer.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]
    if selection in {"name", "count", "shade"}:
        assert answer.errors, "the broken values must be refused"


def test_is_awaitable_remembers_plain_types_but_never_generators() -> None:
    async def pending() -> None:
        return None

    def numbers() -> Generator[int]:
        yield 1

    coroutine = pending()
    awaitable = is_awaitable(coroutine)
    coroutine.close()
    assert awaitable
    assert not is_awaitable(numbers())
    assert not is_awaitable(Thing(name="a", count=1, note=None, shade=Shade.DARK, mood=Mood.CALM))
    # Remembered by type: the second answer is from the set, and still right.
    assert not is_awaitable(Thing(name="b", count=1, note=None, shade=Shade.DARK, mood=Mood.CALM))
    loop = asyncio.new_event_loop()
    future: asyncio.Future[None] = loop.create_future()
    awaitable = is_awaitable(future)
    loop.close()
    assert awaitable
