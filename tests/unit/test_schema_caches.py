from __future__ import annotations

import json
from pathlib import Path

import pytest

from toss_graphql.schema.limits import MaxDepthRule
from toss_graphql.schema.schema import PaymentsSchema, build_schema
from toss_graphql.schema.trusted_documents import TrustedDocuments


class Validations:
    """How many times a document was validated: each validation builds the depth rule once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = MaxDepthRule.__init__

        def counting(rule: MaxDepthRule, *args: object, **kwargs: object) -> None:
            self.count += 1
            original(rule, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(MaxDepthRule, "__init__", counting)


async def test_a_repeated_document_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation is most of a small request's cost: a document seen before must come from
    the cache, which needs the same validation rules on every request."""
    validations = Validations(monkeypatch)
    schema = build_schema()
    document = "{ __typename repeatedDocumentMarker: __typename }"
    for _ in range(3):
        result = await schema.execute(document)
        assert result.errors is None
    assert validations.count == 1


async def test_a_trusted_document_is_neither_parsed_nor_validated_per_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Its parse and validation were done when the manifest was loaded."""
    text = "query Trusted { __typename trustedDocumentMarker: __typename }"
    manifest = tmp_path / "trusted.json"
    manifest.write_text(json.dumps({"one": text}), encoding="utf-8")
    schema = build_schema()
    assert isinstance(schema, PaymentsSchema)
    trusted = TrustedDocuments.load(manifest, schema._schema, only=True)
    schema.prepared_documents = trusted.prepared
    validations = Validations(monkeypatch)

    def no_parse(*_: object, **__: object) -> None:
        raise AssertionError("a trusted document was parsed again")

    monkeypatch.setattr("graphql.language.parser.Parser.parse_document", no_parse)
    for _ in range(3):
        result = await schema.execute(text)
        assert result.errors is None
        assert result.data == {"__typename": "Query", "trustedDocumentMarker": "Query"}
    assert validations.count == 0
