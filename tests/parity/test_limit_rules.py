"""The depth and alias rules, ours (schema/limits.py) and Strawberry's as GRAPHQL_LIMIT_RULES
=strawberry sets them, refuse exactly the documents a naive reference refuses: one that expands
every fragment at every spread, as the document would execute. On small generated documents,
where the naive walk is cheap, with fragments spread at several levels and aliases."""

from __future__ import annotations

import re

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    validate,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from toss_graphql.schema.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MaxAliasesRule,
    MaxDepthRule,
    strawberry_rules,
)
from toss_graphql.schema.schema import build_schema

SCHEMA = build_schema()._schema
STRAWBERRY_DEPTH, STRAWBERRY_ALIASES = strawberry_rules()


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]


def naive_depth(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> int:
    """Levels of fields below `selection_set`, each fragment expanded where it is spread."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            deepest = max(deepest, 1 + naive_depth(selection.selection_set, fragments))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, naive_depth(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode):
            deepest = max(
                deepest, naive_depth(fragments[selection.name.value].selection_set, fragments)
            )
    return deepest


def naive_aliases(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> int:
    """Aliased fields as executed: a fragment's once for every spread of it."""
    if selection_set is None:
        return 0
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += (selection.alias is not None) + naive_aliases(
                selection.selection_set, fragments
            )
        elif isinstance(selection, InlineFragmentNode):
            count += naive_aliases(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            count += naive_aliases(fragments[selection.name.value].selection_set, fragments)
    return count


def _refusals(document: DocumentNode, *rules: type) -> list[str]:
    return [error.message for error in validate(SCHEMA, document, list(rules))]


def _selections(draw: st.DrawFn, depth: int, spreadable: list[str]) -> str:
    """A selection set whose deepest path is about `depth` fields, with aliased leaves,
    inline fragments and spreads of the fragments it may spread on the way."""
    parts: list[str] = []
    if depth > 0:
        inner = _selections(draw, depth - 1, spreadable)
        alias = draw(st.sampled_from(["", "", "deep: "]))
        if draw(st.integers(0, 4)) == 0:
            parts.append(f"... on Query {{ {alias}order {{ {inner} }} }}")
        else:
            parts.append(f"{alias}order {{ {inner} }}")
    for _ in range(draw(st.integers(0 if depth else 1, 3))):
        kind = draw(st.sampled_from(["leaf", "aliased", "spread", "typename"]))
        if kind == "spread" and spreadable:
            parts.append(f"...{draw(st.sampled_from(spreadable))}")
        elif kind == "aliased":
            parts.append(f"a{draw(st.integers(0, 9))}: status")
        elif kind == "typename":
            parts.append("__typename")
        else:
            parts.append("status")
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """An operation and up to four fragments, each spreading only later ones (no cycles)."""
    count = draw(st.integers(0, 4))
    names = [f"F{n}" for n in range(count)]
    fragments = [
        f"fragment {name} on Query {{ "
        f"{_selections(draw, draw(st.integers(0, 8)), names[index + 1 :])} }}"
        for index, name in enumerate(names)
    ]
    operation = f"{{ {_selections(draw, draw(st.integers(1, 18)), names)} }}"
    return " ".join([operation, *fragments])


def _alias_count(messages: list[str]) -> int | None:
    for message in messages:
        found = re.fullmatch(rf"(\d+) aliases found\. Allowed: {MAX_ALIASES}", message)
        if found:
            return int(found.group(1))
    return None


LIMITS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AT_THE_LIMITS = [
    "{ " + "order { " * (MAX_DEPTH - 1) + "status" + " }" * MAX_DEPTH,
    "{ " + "order { " * MAX_DEPTH + "status" + " }" * (MAX_DEPTH + 1),
    "{ ...A ...A } fragment A on Query { " + " ".join(f"a{n}: status" for n in range(15)) + " }",
    "{ ...A ...A } fragment A on Query { " + " ".join(f"a{n}: status" for n in range(16)) + " }",
    "{ order { ...A } } fragment A on Query { " + "order { " * 13 + "status" + " }" * 14,
    "{ order { ...A } } fragment A on Query { " + "order { " * 14 + "status" + " }" * 15,
]


@LIMITS
@given(text=documents())
@example(text=AT_THE_LIMITS[0])
@example(text=AT_THE_LIMITS[1])
@example(text=AT_THE_LIMITS[2])
@example(text=AT_THE_LIMITS[3])
@example(text=AT_THE_LIMITS[4])
@example(text=AT_THE_LIMITS[5])
def test_both_rule_sets_refuse_what_the_naive_reference_refuses(text: str) -> None:
    document = parse(text)
    fragments = _fragments(document)
    depth = max(naive_depth(op.selection_set, fragments) for op in _operations(document))
    aliases = sum(naive_aliases(op.selection_set, fragments) for op in _operations(document))

    assert bool(_refusals(document, MaxDepthRule)) == (depth > MAX_DEPTH)
    assert bool(_refusals(document, STRAWBERRY_DEPTH)) == (depth > MAX_DEPTH)

    expected = aliases if aliases > MAX_ALIASES else None
    assert _alias_count(_refusals(document, MaxAliasesRule)) == expected
    assert _alias_count(_refusals(document, STRAWBERRY_ALIASES)) == expected


def test_the_limits_are_where_the_reference_puts_them() -> None:
    refused = [bool(_refusals(parse(text), MaxDepthRule, MaxAliasesRule)) for text in AT_THE_LIMITS]
    assert refused == [False, True, False, True, False, True]
    stock = [bool(_refusals(parse(text), *strawberry_rules())) for text in AT_THE_LIMITS]
    assert stock == refused


def test_strawberrys_depth_rule_does_not_count_introspection() -> None:
    """The one difference GRAPHQL_LIMIT_RULES=strawberry makes (README.md, Configuration):
    fields under `__schema` are not counted, so this is admitted."""
    deep = "{ __schema { types { " + "fields { type { " * 8 + "name" + " } }" * 8 + " } } }"
    assert _refusals(parse(deep), MaxDepthRule)
    assert not _refusals(parse(deep), STRAWBERRY_DEPTH)


def test_strawberrys_depth_rule_leaves_an_unknown_fragment_to_graphql_core() -> None:
    assert _refusals(parse("{ ...Nope }"), STRAWBERRY_DEPTH) == []
