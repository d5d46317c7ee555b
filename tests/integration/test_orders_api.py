"""createOrder, order and orders through GraphQL: pricing, ownership, paging."""

from __future__ import annotations

import httpx
import pytest

from tests.support.flows import CREATE_ORDER, ORDER, create_order, graphql

pytestmark = pytest.mark.usefixtures("catalog")

ORDERS = """
query Orders($first: Int, $after: String, $status: OrderStatus) {
  orders(first: $first, after: $after, status: $status) {
    edges { cursor node { orderId buyer status } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_buyer_order_is_priced_from_the_catalog(api: httpx.AsyncClient, alice: str) -> None:
    order = await create_order(
        api, alice, {"lines": [{"sku": "americano", "quantity": 2}, {"sku": "cheesecake"}]}
    )
    assert order["amount"] == 2 * 4500 + 6500
    assert order["orderName"] == "아메리카노 외 1건"
    assert order["buyer"] == "alice"


async def test_buyer_cannot_set_the_amount(api: httpx.AsyncClient, alice: str) -> None:
    body = await graphql(
        api, CREATE_ORDER, {"input": {"orderName": "free stuff", "amount": 100}}, alice
    )
    assert body["data"]["createOrder"]["errors"][0]["code"] == "FORBIDDEN"
    assert body["data"]["createOrder"]["order"] is None


async def test_admin_orders_with_explicit_amount_for_a_buyer(
    api: httpx.AsyncClient, admin: str, alice: str
) -> None:
    order = await create_order(
        api, admin, {"orderName": "정기 구독", "amount": 9900, "buyer": "alice"}
    )
    body = await graphql(api, ORDER, {"orderId": order["orderId"]}, alice)
    assert body["data"]["order"]["amount"] == 9900


async def test_unknown_sku_names_the_line(api: httpx.AsyncClient, alice: str) -> None:
    body = await graphql(
        api, CREATE_ORDER, {"input": {"lines": [{"sku": "americano"}, {"sku": "nope"}]}}, alice
    )
    error = body["data"]["createOrder"]["errors"][0]
    assert (error["code"], error["field"]) == ("PRODUCT_NOT_FOUND", "lines.1.sku")


async def test_orders_page_through_the_callers_orders_newest_first(
    api: httpx.AsyncClient, alice: str, mallory: str, admin: str
) -> None:
    mine = [
        (await create_order(api, alice, {"lines": [{"sku": "americano"}]}))["orderId"]
        for _ in range(3)
    ]
    await create_order(api, mallory, {"lines": [{"sku": "americano"}]})

    first = (await graphql(api, ORDERS, {"first": 2}, alice))["data"]["orders"]
    assert [edge["node"]["orderId"] for edge in first["edges"]] == [mine[2], mine[1]]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await graphql(api, ORDERS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, alice)
    )["data"]["orders"]
    assert [edge["node"]["orderId"] for edge in rest["edges"]] == [mine[0]]
    assert rest["pageInfo"]["hasNextPage"] is False

    everyone = (await graphql(api, ORDERS, {"first": 10}, admin))["data"]["orders"]
    assert len(everyone["edges"]) == 4


async def test_orders_filter_by_status(api: httpx.AsyncClient, alice: str) -> None:
    await create_order(api, alice, {"lines": [{"sku": "americano"}]})
    paid = (await graphql(api, ORDERS, {"status": "PAID"}, alice))["data"]["orders"]
    assert paid["edges"] == []


@pytest.mark.parametrize(
    ("variables", "field"),
    [({"first": 0}, "first"), ({"first": 101}, "first"), ({"after": "not-a-cursor"}, "after")],
)
async def test_bad_paging_arguments_are_invalid_input(
    api: httpx.AsyncClient, alice: str, variables: dict[str, object], field: str
) -> None:
    body = await graphql(api, ORDERS, variables, alice)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": field}
