"""Query resolvers: who is asking, one domain call, the result as schema types."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from ..domain import cancel_queries, orders
from ..domain.errors import DomainError
from ..schema.context import Context
from ..schema.types import (
    Cancel,
    CancelConnection,
    CancelEdge,
    Order,
    OrderConnection,
    OrderEdge,
    OrderStatus,
    PageInfo,
    decode_cancel_cursor,
    decode_cursor,
    encode_cancel_cursor,
    encode_cursor,
)


async def resolve_order(info: Info[Context, None], order_id: strawberry.ID) -> Order | None:
    principal = info.context.require_principal()
    # The order and its payment in one statement, whether or not `payment` is selected: the
    # join costs less than looking through the selection to decide. The loader then answers
    # `payment` from memory.
    pair = await orders.get_order_with_payment(info.context.services, principal, str(order_id))
    if pair is None:
        return None
    found, payment = pair
    info.context.loaders.payment_by_order_id.prime(found.order_id, payment)
    return Order.from_domain(found)


async def resolve_orders(
    info: Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    status: OrderStatus | None = None,
    needs_attention: bool = False,
) -> OrderConnection:
    principal = info.context.require_principal()
    cursor = decode_cursor(after) if after else None
    try:
        page = await orders.list_orders(
            info.context.services,
            principal,
            first=first,
            after=cursor,
            status=status,
            needs_attention=needs_attention,
        )
    except DomainError as error:
        raise GraphQLError(
            error.message, extensions={"code": error.code.value, "field": error.field}
        ) from None
    return OrderConnection(
        edges=[OrderEdge(node=Order.from_domain(item)) for item in page.orders],
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=encode_cursor(page.orders[-1]) if page.orders else None,
        ),
    )


async def resolve_cancels(
    info: Info[Context, None],
    buyer: str | None = None,
    order_id: strawberry.ID | None = None,
    first: int | None = None,
    after: str | None = None,
) -> CancelConnection:
    principal = info.context.require_principal()
    cursor = decode_cancel_cursor(after) if after else None
    try:
        page = await cancel_queries.list_cancels(
            info.context.services,
            principal,
            buyer=buyer,
            order_id=str(order_id) if order_id is not None else None,
            first=first,
            after=cursor,
        )
    except DomainError as error:
        raise _as_graphql_error(error) from None
    return CancelConnection(
        edges=[CancelEdge(node=Cancel.from_domain(item)) for item in page.cancels],
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=encode_cancel_cursor(page.cancels[-1]) if page.cancels else None,
        ),
    )


def _as_graphql_error(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code.value, "field": error.field})
