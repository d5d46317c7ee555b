from __future__ import annotations

import pytest

from toss_graphql.schema.limits import MaxDepthRule
from toss_graphql.schema.schema import build_schema


async def test_a_repeated_document_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation is most of a small request's cost: a document seen before must come from
    the cache, which needs the same validation rules on every request."""
    validations = 0
    original = MaxDepthRule.__init__

    def counting(self: MaxDepthRule, *args: object, **kwargs: object) -> None:
        nonlocal validations
        validations += 1
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(MaxDepthRule, "__init__", counting)
    schema = build_schema()
    document = "{ __typename repeatedDocumentMarker: __typename }"
    for _ in range(3):
        result = await schema.execute(document)
        assert result.errors is None
    assert validations == 1
