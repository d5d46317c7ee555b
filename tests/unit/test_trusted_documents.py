"""The manifest: what loads, and how a document is named."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from toss_graphql.schema.schema import build_schema
from toss_graphql.schema.trusted_documents import (
    TrustedDocuments,
    TrustedDocumentsError,
    manifest_from,
)

TEXT = "query Hello { __typename }"
SHA = hashlib.sha256(TEXT.encode()).hexdigest()
SCHEMA = build_schema()._schema


def test_a_document_is_named_by_its_id_or_its_sha256() -> None:
    trusted = TrustedDocuments({"relay-id-1": TEXT}, only=True)
    assert trusted.text_of("relay-id-1") == TEXT
    assert trusted.text_of(SHA) == TEXT
    assert trusted.text_of(f"sha256:{SHA}") == TEXT
    assert trusted.text_of("sha256:" + "0" * 64) is None
    assert trusted.is_trusted(TEXT)
    assert not trusted.is_trusted(TEXT + " ")


def test_the_builder_keys_each_document_by_its_sha256() -> None:
    assert manifest_from([TEXT]) == {SHA: TEXT}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "cannot be read as JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"id": 7}', "expected a JSON object"),
        (
            '{"too deep": "'
            + "{ __schema { types { fields { type "
            + "{ ofType " * 20
            + "{ name }"
            + " }" * 20
            + " } } } }"
            + '"}',
            "too deep: the document is deeper than 15 levels",
        ),
    ],
)
def test_a_manifest_that_cannot_be_used_is_refused(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TrustedDocumentsError) as refused:
        TrustedDocuments.load(path, SCHEMA, only=True)
    assert problem in str(refused.value)
