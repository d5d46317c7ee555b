from __future__ import annotations

import pytest

from tests.support.fakes import MemoryStore
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import OrderStatus, Principal, Role
from toss_graphql.domain.orders import (
    CreateOrderRequest,
    LineRequest,
    create_order,
    get_order,
    list_orders,
)
from toss_graphql.domain.services import Services


async def test_buyer_order_is_priced_by_the_server(
    services: Services, alice: Principal, store: MemoryStore
) -> None:
    order = await create_order(
        services,
        alice,
        CreateOrderRequest(lines=[LineRequest("latte", 2), LineRequest("cake", 1)]),
    )
    assert order.amount == 2 * 5000 + 6500
    assert order.order_name == "카페라테 외 1건"
    assert order.buyer == "alice"
    assert order.status is OrderStatus.PENDING
    assert [line.quantity for line in store.lines[order.order_id]] == [2, 1]
    assert store.event_types(order.order_id) == ["ORDER_CREATED"]


@pytest.mark.parametrize(
    "request_",
    [
        CreateOrderRequest(order_name="anything", amount=100),
        CreateOrderRequest(lines=[LineRequest("latte", 1)], buyer="bob"),
    ],
    ids=["explicit amount", "for another buyer"],
)
async def test_buyer_may_not_set_price_or_act_for_others(
    services: Services, alice: Principal, request_: CreateOrderRequest
) -> None:
    with pytest.raises(DomainError) as refused:
        await create_order(services, alice, request_)
    assert refused.value.code is ErrorCode.FORBIDDEN


async def test_service_token_creates_order_with_explicit_amount_for_a_buyer(
    services: Services,
) -> None:
    service = Principal("shop-backend", Role.SERVICE)
    order = await create_order(
        services, service, CreateOrderRequest(order_name="정기 구독", amount=9900, buyer="bob")
    )
    assert (order.buyer, order.amount, order.order_name) == ("bob", 9900, "정기 구독")


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([LineRequest("latte", 0)], "lines.0.quantity"),
        ([LineRequest("latte", 1001)], "lines.0.quantity"),
        ([LineRequest("bad sku!", 1)], "lines.0.sku"),
    ],
)
async def test_invalid_lines_are_refused_with_the_field(
    services: Services, alice: Principal, lines: list[LineRequest], field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        await create_order(services, alice, CreateOrderRequest(lines=lines))
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)


@pytest.mark.parametrize("sku", ["unknown", "retired"])
async def test_unknown_or_inactive_product_is_refused(
    services: Services, alice: Principal, sku: str
) -> None:
    with pytest.raises(DomainError) as refused:
        await create_order(services, alice, CreateOrderRequest(lines=[LineRequest(sku, 1)]))
    assert refused.value.code is ErrorCode.PRODUCT_NOT_FOUND


@pytest.mark.parametrize("amount", [0, -1, 99, 100_000_001])
async def test_explicit_amount_out_of_bounds_is_refused(
    services: Services, admin: Principal, amount: int
) -> None:
    with pytest.raises(DomainError) as refused:
        await create_order(services, admin, CreateOrderRequest(order_name="x", amount=amount))
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "amount")


async def test_another_buyers_order_reads_as_missing(
    services: Services, alice: Principal, admin: Principal
) -> None:
    order = await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("latte")]))
    assert await get_order(services, Principal("mallory"), order.order_id) is None
    assert await get_order(services, alice, order.order_id) == order
    assert await get_order(services, admin, order.order_id) == order


async def test_orders_are_listed_newest_first_per_buyer(
    services: Services, alice: Principal, admin: Principal
) -> None:
    created = [
        await create_order(services, alice, CreateOrderRequest(lines=[LineRequest("latte")]))
        for _ in range(3)
    ]
    await create_order(services, Principal("bob"), CreateOrderRequest(lines=[LineRequest("cake")]))
    page = await list_orders(services, alice, first=2, after=None, status=None)
    assert [o.order_id for o in page.orders] == [created[2].order_id, created[1].order_id]
    assert page.has_next_page
    everyone = await list_orders(services, admin, first=10, after=None, status=None)
    assert len(everyone.orders) == 4
