"""The Schema object: root types and the extensions every request goes through."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator
from strawberry.schema.config import StrawberryConfig

from ..request_context import request_id
from ..resolvers import mutations, queries
from .limits import MaxDepthRule
from .types import (
    CancelConnection,
    CancelPaymentPayload,
    ConfirmPaymentPayload,
    CreateOrderPayload,
    FailPaymentPayload,
    Order,
    OrderConnection,
)

MAX_ALIASES = 30
ALIAS_RULE = create_validator(MAX_ALIASES)
MAX_TOKENS = 5_000


@strawberry.type
class Query:
    order: Order | None = strawberry.field(
        resolver=queries.order,
        description="One order; null when it does not exist or is another buyer's.",
    )
    orders: OrderConnection = strawberry.field(
        resolver=queries.orders,
        description="The caller's orders, newest first (an admin sees every buyer's); "
        "`needsAttention` keeps those reconciliation handed to an operator.",
    )
    cancels: CancelConnection = strawberry.field(
        resolver=queries.cancels,
        description="Cancels, newest first: a buyer's own, or any buyer's for an admin.",
    )


@strawberry.type
class Mutation:
    create_order: CreateOrderPayload = strawberry.mutation(resolver=mutations.create_order)
    confirm_payment: ConfirmPaymentPayload = strawberry.mutation(
        resolver=mutations.confirm_payment,
        description="Approve the checkout Toss redirected back with. The amount must equal "
        "the stored order's; a repeat with the same paymentKey returns the stored payment.",
    )
    fail_payment: FailPaymentPayload = strawberry.mutation(
        resolver=mutations.fail_payment,
        description="Record the checkout's fail redirect (code, message, orderId).",
    )
    cancel_payment: CancelPaymentPayload = strawberry.mutation(
        resolver=mutations.cancel_payment,
        description="Cancel the buyer's paid order named orderName: all of its balance, or "
        "`amount` KRW of it. `orderId` chooses among several orders of that name; a repeat with "
        "the same `idempotencyKey` returns the first result and refunds nothing more.",
    )


def _is_unexpected(error: GraphQLError) -> bool:
    """Bugs are masked; errors raised on purpose (auth, bad cursors, validation) are not."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """A bug reaches the client as a generic message with the request id to quote; its detail
    (already logged by Strawberry, with the same request id) stays on the server."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        current = request_id.get()
        return GraphQLError(
            message=f"Internal server error (request id {current})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": current},
        )


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The schema; in production introspection is refused and field suggestions ("did you
    mean ...?") are left out of errors, so the schema cannot be mapped from outside."""
    extensions: list[Any] = [
        ParserCache,
        ValidationCache,
        # Factories, not instances: Strawberry builds a fresh extension for each request.
        partial(MaxTokensLimiter, MAX_TOKENS),
        # The same rule classes every request, so ValidationCache's key (which includes the
        # rules) repeats and a known document is validated once, not once per request.
        partial(AddValidationRules, [MaxDepthRule, ALIAS_RULE]),
        MaskUnexpectedErrors,
    ]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
    )
