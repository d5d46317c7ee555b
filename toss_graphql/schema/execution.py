"""Execution with a short path for the fields that only read an attribute and print it.

A page of 20 orders is about a hundred scalar fields. For each one graphql-core builds a
resolve-info record, calls Strawberry's wrapper around `getattr`, and walks the type's
wrappers to coerce the value: about 3 µs a field, half of `orders(first: 20)`'s time
(docs/benchmarks.md). A field that is a Strawberry attribute with no resolver, no argument
and a scalar or enum type needs none of that. Its value is the attribute, coerced by the
type's own `coerce_output_value`, exactly as graphql-core would.

Anything else, and anything unusual on the way (null for a non-null field, a value the type
refuses, an exception, an awaitable), goes through graphql-core's `execute_field`, which
then reports it as it always does: the short path never answers an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import GeneratorType
from typing import Any, ClassVar, TypeGuard

from graphql import (
    GraphQLEnumType,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


@dataclass(frozen=True, slots=True)
class PlainLeaf:
    """A field answered by reading `attribute` and coercing it; Undefined from `coerce`
    sends the field the long way."""

    attribute: str
    coerce: Callable[[Any], Any]
    non_null: bool


def _coercion(leaf_type: GraphQLLeafType) -> Callable[[Any], Any]:
    if not isinstance(leaf_type, GraphQLEnumType):
        return leaf_type.coerce_output_value
    # Strawberry's enum type finds a member's name by comparing it with each value in turn;
    # the same answers, looked up. A value not found takes the type's own way.
    members = getattr(leaf_type, "wrapped_cls", ())
    names = {
        member: name
        for name, value in leaf_type.values.items()
        for member in members
        if member.value == value.value
    }
    return lambda value: names.get(value, Undefined)


PlainLeaves = Mapping[str, Mapping[str, PlainLeaf]]


def _plain_leaf(field_name: str, field: Any) -> PlainLeaf | None:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or field.args:
        return None
    # Strawberry marks the resolver it writes for a field with no resolver of its own, no
    # field extension and no permission class: the one that only reads the attribute.
    if (
        not getattr(field.resolve, "_is_default", False)
        or definition.default_resolver is not getattr
    ):
        return None
    non_null = isinstance(field.type, GraphQLNonNull)
    inner = field.type.of_type if non_null else field.type
    if not is_leaf_type(inner) or definition.python_name is None:
        return None
    return PlainLeaf(definition.python_name, _coercion(inner), non_null)


def plain_leaves(schema: GraphQLSchema) -> PlainLeaves:
    """Every object type's plain leaf fields, by type name and field name."""
    found: dict[str, dict[str, PlainLeaf]] = {}
    for type_name, named_type in schema.type_map.items():
        if not is_object_type(named_type) or type_name.startswith("__"):
            continue
        assert isinstance(named_type, GraphQLObjectType)
        leaves = {
            field_name: leaf
            for field_name, field in named_type.fields.items()
            if (leaf := _plain_leaf(field_name, field)) is not None
        }
        if leaves:
            found[type_name] = leaves
    return found


# Types whose instances were found not awaitable: the objects the resolvers return.
_PLAIN_TYPES: set[type] = set()


def is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """Strawberry's check, remembered by type for objects.

    graphql-core asks it of every value it completes. For an instance of a schema type the
    answer comes from `hasattr(value, "__await__")`, a failed attribute lookup that raises
    and catches inside: the slowest of its answers, and always "no" for the same type.
    `await` looks `__await__` up on the type, so the type is what decides. Coroutines and
    generators are never remembered: only some generators are awaitable.
    """
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return False
    answer = optimized_is_awaitable(value)
    if not answer and kind is not GeneratorType and not hasattr(kind, "__await__"):
        _PLAIN_TYPES.add(kind)
    return answer


def _plain_answer(leaf: PlainLeaf, source: Any) -> Any:
    """The field's value, or Undefined when graphql-core must take it the long way."""
    try:
        value = getattr(source, leaf.attribute)
        if value is None:
            return Undefined if leaf.non_null else None
        if is_awaitable(value):
            return Undefined
        coerced = leaf.coerce(value)
    except Exception:  # graphql-core runs the field again and reports what it raises
        return Undefined
    return Undefined if coerced is None else coerced


class PlainLeavesExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context; `leaves` is set on a subclass made for one schema."""

    leaves: ClassVar[PlainLeaves] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = is_awaitable

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        by_name = self.leaves.get(parent_type.name)
        leaf = by_name.get(node.name.value) if by_name is not None else None
        # Field middleware (from a schema extension's `resolve`) must see every field.
        middleware = self.middleware_manager
        if leaf is not None and not node.arguments and not (middleware and middleware.middlewares):
            answer = _plain_answer(leaf, source)
            if answer is not Undefined:
                return answer
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


def execution_context_for(
    schema: GraphQLSchema,
) -> type[PlainLeavesExecutionContext]:
    """An execution context class that knows `schema`'s plain leaf fields, found once."""
    return type(
        "SchemaExecutionContext", (PlainLeavesExecutionContext,), {"leaves": plain_leaves(schema)}
    )
