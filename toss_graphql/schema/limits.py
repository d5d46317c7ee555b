"""A depth limit that counts every field, introspection included; an alias limit that counts
each fragment once.

Strawberry's QueryDepthLimiter skips fields that start with `__`, which leaves
`__schema { types { fields { type { ofType ... } } } }` unbounded. docs/architecture.md §4.1
wants the limit to count them and still admit GraphiQL's own introspection query (15 levels).

GRAPHQL_LIMIT_RULES=strawberry puts Strawberry's own rules in their place (`strawberry_rules`):
the same documents refused, but for introspection fields, and with Strawberry's messages; and
both of its rules walk a fragment anew at every spread, so a chain of fragments that each
spread the next twice stalls a worker. Its depth rule raises KeyError at a spread of a fragment
the document does not define, so it runs only on documents that define every fragment they
spread (graphql-core's KnownFragmentNamesRule refuses the others). A way back for an upgrade
that breaks these, not a setting to serve the public with.
"""

from __future__ import annotations

from typing import Any, Literal

from graphql import (
    ASTValidationRule,
    DocumentNode,
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
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

MAX_DEPTH = 15


# Any depth past MAX_DEPTH refuses the document, so no depth is counted further than this.
_CAP = MAX_DEPTH + 1


class FieldDepths:
    """Field depths of one document, each fragment's computed once.

    Walking a fragment anew at every spread costs twice as much at each level of a chain of
    fragments that each spread the next twice: 40 levels, 1.6 KB, would stall a worker for
    hours. A fragment's depth does not depend on where it is spread, so it is memoized; a
    fragment spread inside itself counts as nothing here, since graphql-core's
    NoFragmentCyclesRule refuses that document anyway.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._known: dict[str, int] = {}
        self._open: set[str] = set()

    def below(self, selection_set: SelectionSetNode | None, limit: int) -> int:
        """Depth of the deepest field below `selection_set`: exact up to `limit`, and past it
        some value above `limit` (counting stops there)."""
        if selection_set is None or limit < 0:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                deepest = max(deepest, 1 + self.below(selection.selection_set, limit - 1))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.below(selection.selection_set, limit))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment(selection.name.value))
            if deepest > limit:
                break
        return deepest

    def _fragment(self, name: str) -> int:
        known = self._known.get(name)
        if known is not None:
            return known
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:
            return 0  # unknown or cyclic: other rules refuse the document
        self._open.add(name)
        depth = self.below(fragment.selection_set, _CAP)
        self._open.discard(name)
        self._known[name] = depth
        return depth


class MaxDepthRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._depths = FieldDepths(
            {
                definition.name.value: definition
                for definition in context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
        )

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        if self._depths.below(node.selection_set, MAX_DEPTH) > MAX_DEPTH:
            self.report_error(
                GraphQLError(f"the document is deeper than {MAX_DEPTH} levels", [node])
            )


MAX_ALIASES = 30


class AliasCounts:
    """Aliased fields of one document as executed (a fragment's once per spread), each
    fragment's counted once: Strawberry's MaxAliasesLimiter walks a fragment anew at every
    spread, as the depth limit once did, and stalls on the same chains of fragments."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._known: dict[str, int] = {}
        self._open: set[str] = set()

    def within(self, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += (selection.alias is not None) + self.within(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.within(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection.name.value)
        return count

    def _fragment(self, name: str) -> int:
        known = self._known.get(name)
        if known is not None:
            return known
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:
            return 0  # unknown or cyclic: other rules refuse the document
        self._open.add(name)
        count = self.within(fragment.selection_set)
        self._open.discard(name)
        self._known[name] = count
        return count


class MaxAliasesRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        counts = AliasCounts(
            {
                definition.name.value: definition
                for definition in context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
        )
        total = sum(
            counts.within(definition.selection_set)
            for definition in context.document.definitions
            if isinstance(definition, OperationDefinitionNode)
        )
        if total > MAX_ALIASES:
            self.report_error(GraphQLError(f"{total} aliases found. Allowed: {MAX_ALIASES}"))


LimitRules = Literal["own", "strawberry"]


def _spreads_unknown_fragment(document: DocumentNode) -> bool:
    defined = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    pending = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                if selection.name.value not in defined:
                    return True
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
    return False


def _with_known_fragments(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """`rule`, which does its work when made, made only for documents whose every spread
    fragment is defined."""

    class KnownFragmentsOnly(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            if not _spreads_unknown_fragment(context.document):
                rule(context)

    KnownFragmentsOnly.__name__ = f"KnownFragmentsOnly{rule.__name__}"
    return KnownFragmentsOnly


def strawberry_rules() -> tuple[type[ASTValidationRule], ...]:
    """Strawberry's QueryDepthLimiter and MaxAliasesLimiter rules, set to refuse what ours do.

    Strawberry counts a field only when it has a selection below it, so its depth is ours less
    one: MAX_DEPTH - 1 refuses the same documents. The rule classes are made once, so that
    ValidationCache's key (which includes the rules) repeats from one request to the next.
    """
    depth = QueryDepthLimiter(max_depth=MAX_DEPTH - 1)
    aliases = MaxAliasesLimiter(max_alias_count=MAX_ALIASES)
    return (
        *(_with_known_fragments(rule) for rule in depth.validation_rules),
        *aliases.validation_rules,
    )


def limit_rules(choice: LimitRules) -> tuple[type[ASTValidationRule], ...]:
    """The depth and alias rules GRAPHQL_LIMIT_RULES names."""
    return strawberry_rules() if choice == "strawberry" else (MaxDepthRule, MaxAliasesRule)
