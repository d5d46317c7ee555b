"""The depth limit counts every field, through fragments, and costs work in proportion to the
document: a fragment is measured once however often it is spread."""

from __future__ import annotations

import pytest
from graphql import FragmentDefinitionNode, SelectionSetNode, get_introspection_query, parse

from toss_graphql.schema.limits import MAX_DEPTH, FieldDepths


class _CountingDepths(FieldDepths):
    """Counts the selection sets walked: the work the rule does."""

    walked = 0

    def below(self, selection_set: SelectionSetNode | None, limit: int) -> int:
        self.walked += 1
        return super().below(selection_set, limit)


def _fan_out_chain(levels: int) -> str:
    """Fragment n spreads fragment n+1 twice (under two aliases): walked anew at each spread,
    the work doubles at every level."""
    fragments = [
        f"fragment F{n} on Query {{ a: __typename ...F{n + 1} b: __typename ...F{n + 1} }}"
        for n in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    return "query { ...F0 }\n" + "\n".join(fragments)


def _measure(document: str) -> tuple[int, int]:
    parsed = parse(document)
    fragments = {
        definition.name.value: definition
        for definition in parsed.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    depths = _CountingDepths(fragments)
    operation = parsed.definitions[0]
    depth = depths.below(operation.selection_set, MAX_DEPTH)  # type: ignore[attr-defined]
    return depth, depths.walked


@pytest.mark.parametrize("levels", [16, 18, 40, 200])
def test_a_chain_of_fragments_each_spread_twice_is_measured_in_linear_work(levels: int) -> None:
    depth, walked = _measure(_fan_out_chain(levels))

    # Spreads add no depth: one field deep, whatever the chain's length.
    assert depth == 1
    # The operation, each fragment once and each of its fields' (empty) selection sets:
    # 3 per level, where walking every spread anew took 2**levels.
    assert walked == 3 * levels + 3


def test_depth_through_fragments_counts_every_field() -> None:
    nested = "{ " + "f { " * 14 + "x" + " }" * 15
    depth, _ = _measure(f"query {{ ...A }} fragment A on Query {nested}")
    assert depth == 15


def test_graphiqls_introspection_query_stays_within_the_limit() -> None:
    depth, _ = _measure(get_introspection_query())
    assert depth <= MAX_DEPTH
