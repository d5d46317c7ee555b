"""Subscription resolvers: an order followed live (docs/realtime.md)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from ..domain.errors import DomainError
from ..domain.order_updates import order_updates
from ..schema.context import Context
from ..schema.types import Order


async def order_updated(
    info: Info[Context, None], order_id: strawberry.ID
) -> AsyncGenerator[Order, None]:
    context = info.context
    principal = context.require_principal()
    changes, budget = context.order_changes, context.subscriptions
    if changes is None or budget is None:
        raise GraphQLError("subscriptions are turned off", extensions={"code": "FORBIDDEN"})
    with budget.slot(principal.subject):
        until = datetime.fromtimestamp(context.expires_at, UTC) if context.expires_at else None
        updates = order_updates(context.services, changes, principal, str(order_id), until=until)
        try:
            async for order, payment in updates:
                context.renew_loaders().payment_by_order_id.prime(order.order_id, payment)
                yield Order.from_domain(order)
        except DomainError as error:
            raise GraphQLError(error.message, extensions={"code": error.code.value}) from None
        finally:
            await updates.aclose()
