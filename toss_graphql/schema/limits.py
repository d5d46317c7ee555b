"""A depth limit that counts every field, introspection included.

Strawberry's QueryDepthLimiter skips fields that start with `__`, which leaves
`__schema { types { fields { type { ofType ... } } } }` unbounded. docs/architecture.md §4.1
wants the limit to count them and still admit GraphiQL's own introspection query (15 levels).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

MAX_DEPTH = 15


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
    limit: int,
) -> int:
    """Depth of the deepest field below `selection_set`; stops counting past `limit`."""
    if selection_set is None or limit < 0:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            below = _depth(selection.selection_set, fragments, seen, limit - 1)
            deepest = max(deepest, 1 + below)
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, seen, limit))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                deepest = max(
                    deepest, _depth(fragment.selection_set, fragments, seen | {name}, limit)
                )
        if deepest > limit:
            break
    return deepest


class MaxDepthRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._fragments = {
            definition.name.value: definition
            for definition in context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        if _depth(node.selection_set, self._fragments, frozenset(), MAX_DEPTH) > MAX_DEPTH:
            self.report_error(
                GraphQLError(f"the document is deeper than {MAX_DEPTH} levels", [node])
            )
