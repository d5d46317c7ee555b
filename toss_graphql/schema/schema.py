"""The Schema object: root types and the extensions every request goes through."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Literal

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from .. import telemetry
from ..request_context import request_id
from ..resolvers import mutations, queries, subscriptions
from .execution import execution_context_for
from .limits import LimitRules, MaxAliasesRule, MaxDepthRule, limit_rules
from .types import (
    CancelConnection,
    CancelPaymentPayload,
    ConfirmPaymentPayload,
    CreateOrderPayload,
    FailPaymentPayload,
    Order,
    OrderConnection,
)

MAX_TOKENS = 5_000
VALIDATION_RULES = (MaxDepthRule, MaxAliasesRule)
# graphql-core appends " Did you mean 'X'?" (or "... the enum value 'X'?") to messages about
# unknown fields, arguments, types, input fields and enum values.
SUGGESTION = re.compile(r" Did you mean [^?]*\?")

log = logging.getLogger(__name__)


@strawberry.type
class Query:
    order: Order | None = strawberry.field(
        resolver=queries.resolve_order,
        description="One order; null when it does not exist or is another buyer's.",
    )
    orders: OrderConnection = strawberry.field(
        resolver=queries.resolve_orders,
        description="The caller's orders, newest first (an admin sees every buyer's); "
        "`needsAttention` keeps those reconciliation handed to an operator.",
    )
    cancels: CancelConnection = strawberry.field(
        resolver=queries.resolve_cancels,
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


@strawberry.type
class Subscription:
    order_updated: AsyncGenerator[Order, None] = strawberry.subscription(
        resolver=subscriptions.order_updated,
        description="The order now, then again after each committed change of it: status, "
        "payment, a cancel, attention. Each message is the whole order, so a client that "
        "missed one is right again after the next (docs/realtime.md).",
    )


def _is_unexpected(error: GraphQLError) -> bool:
    """Bugs are masked; errors raised on purpose (auth, bad cursors, validation) are not."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def _masked(error: GraphQLError) -> GraphQLError:
    current = request_id.get()
    return GraphQLError(
        message=f"Internal server error (request id {current})",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": current},
    )


class RequestPipeline(MaskErrors, ParserCache, ValidationCache):
    """What every request goes through, as one extension: Strawberry runs each extension's
    hooks as context managers, and one set costs a fifth of five (docs/benchmarks.md).

    A document is parsed with a token limit and validated with the depth and alias rules, each
    once per distinct text, by Strawberry's own caches (ParserCache, ValidationCache). A bug
    reaches the client as a generic message with the request id to quote; its detail (already
    logged by Strawberry, with the same request id) stays on the server (MaskErrors).
    """

    # The depth and alias rules (GRAPHQL_LIMIT_RULES); a subclass made by build_schema
    # carries Strawberry's instead.
    validation_rules: ClassVar[tuple[type[ASTValidationRule], ...]] = VALIDATION_RULES

    def __init__(self) -> None:
        MaskErrors.__init__(self, should_mask_error=_is_unexpected)
        ParserCache.__init__(self)
        ValidationCache.__init__(self)
        self.operation_span: telemetry.Span | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        # The same rule classes every request, so ValidationCache's key (which includes the
        # rules) repeats and a known document is validated once, not once per request.
        context.validation_rules = context.validation_rules + self.validation_rules
        with telemetry.span("GraphQL Operation") as span:
            # Named once the document is known (on_validate): a subscription's operation
            # ends by being closed, so nothing after this yield is sure to run.
            self.operation_span = span
            yield from MaskErrors.on_operation(self)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        prepared = _prepared(context)
        if prepared is not None:
            # A trusted document, parsed and validated when the manifest was loaded.
            context.graphql_document = prepared
            yield
            return
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            # Left for Strawberry to parse again where it reports a document that does not
            # parse: a subscription's parse error raised here would escape its handler.
            context.graphql_document = None
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.operation_span is not None:
            _name_operation_span(self.operation_span, context)
        if context.graphql_document is not None and context.graphql_document is _prepared(context):
            context.pre_execution_errors = []
            yield
            return
        yield from ValidationCache.on_validate(self)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return _masked(error)


class OperationSpan(SchemaExtension):
    """The operation's span, named as RequestPipeline names it, for the stock extensions."""

    def __init__(self) -> None:
        self.operation_span: telemetry.Span | None = None

    def on_operation(self) -> Iterator[None]:
        with telemetry.span("GraphQL Operation") as span:
            self.operation_span = span
            yield

    def on_validate(self) -> Iterator[None]:
        if self.operation_span is not None:
            _name_operation_span(self.operation_span, self.execution_context)
        yield


class RequestIdMaskErrors(MaskErrors):
    """Strawberry's MaskErrors, telling the request id as RequestPipeline does."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return _masked(error)


def stock_extensions(rules: tuple[type[ASTValidationRule], ...]) -> list[Any]:
    """GRAPHQL_EXTENSIONS=strawberry: what RequestPipeline does, as Strawberry's own extensions,
    each with its own hooks, one set per extension per request. Strawberry parses every
    document itself: ParserCache is left out, since a syntax error raised from its hook escapes
    a subscription's handler, where Strawberry's own parse reports it. Trusted documents are
    parsed and validated like any other, not taken ready-made."""
    return [
        OperationSpan,
        partial(MaxTokensLimiter, MAX_TOKENS),
        partial(AddValidationRules, list(rules)),
        ValidationCache,
        RequestIdMaskErrors,
    ]


Extensions = Literal["pipeline", "strawberry"]


@dataclass(frozen=True, slots=True)
class ExecutionChoices:
    """GRAPHQL_FAST_PATH, GRAPHQL_LIMIT_RULES and GRAPHQL_EXTENSIONS (README.md, Configuration):
    the measured bypasses, or the libraries' stock paths in their place."""

    fast_path: bool = True
    limit_rules: LimitRules = "own"
    extensions: Extensions = "pipeline"


FAST = ExecutionChoices()


def _name_operation_span(span: telemetry.Span, context: ExecutionContext) -> None:
    """The operation's type and name, as OpenTelemetry's GraphQL conventions name the span;
    never the variables, which hold payment keys and cancel reasons."""
    if context.graphql_document is None:
        return
    try:
        kind = context.operation_type.value
    except Exception:  # an operation that could not be chosen; its errors are in the answer
        return
    name = context.operation_name
    span.update_name(f"{kind} {name}" if name else kind)
    span.set_attribute("graphql.operation.type", kind)
    if name:
        span.set_attribute("graphql.operation.name", name)


def _prepared(context: ExecutionContext) -> DocumentNode | None:
    documents: Mapping[str, DocumentNode] = getattr(context.schema, "prepared_documents", {})
    return documents.get(context.query) if context.query else None


class PaymentsSchema(strawberry.Schema):
    """The schema, with errors logged by what they are and, in production, told without hints.

    A refusal (a document that fails validation, a missing token, a bad variable) is the
    caller's mistake: one line at INFO with its message, no traceback and no document, so a
    flood of bad requests cannot fill the log. ERROR, with the traceback, is kept for bugs.
    """

    def __init__(
        self, *args: Any, hide_suggestions: bool, fast_path: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._hide_suggestions = hide_suggestions
        if fast_path:
            self.execution_context_class = execution_context_for(self._schema)
        # Trusted documents by their text, parsed and validated once, at load
        # (schema/trusted_documents.py): the request pipeline neither parses nor validates them.
        self.prepared_documents: Mapping[str, DocumentNode] = {}

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if self._hide_suggestions:
                # Strawberry's disable_field_suggestions covers fields only; arguments, types
                # and enum values carry the same hints, which map the schema for an attacker.
                error.message = SUGGESTION.sub("", error.message)
            if _is_unexpected(error):
                StrawberryLogger.error(error, execution_context)
            else:
                code = (error.extensions or {}).get("code", "INVALID_DOCUMENT")
                log.info("request refused", extra={"code": code, "reason": error.message[:200]})


def build_schema(
    *, production: bool = False, subscriptions: bool = True, choices: ExecutionChoices = FAST
) -> strawberry.Schema:
    """The schema; in production introspection is refused and field suggestions ("did you
    mean ...?") are left out of errors, so the schema cannot be mapped from outside.
    Without `subscriptions` it has no Subscription type. `choices`: the fast paths or the
    stock ones."""
    rules = limit_rules(choices.limit_rules)
    # Classes and factories, not instances: Strawberry builds fresh extensions per request.
    extensions: list[Any]
    if choices.extensions == "strawberry":
        extensions = stock_extensions(rules)
    elif rules == VALIDATION_RULES:
        extensions = [RequestPipeline]
    else:
        extensions = [type("RequestPipeline", (RequestPipeline,), {"validation_rules": rules})]
    if production:
        extensions.append(DisableIntrospection)
    return PaymentsSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription if subscriptions else None,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
        hide_suggestions=production,
        fast_path=choices.fast_path,
    )
