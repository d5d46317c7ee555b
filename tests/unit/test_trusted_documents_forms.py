"""A trusted document sent in another form: re-spaced, commented, printed by a client."""

from __future__ import annotations

import pytest
from graphql import parse, print_ast

from toss_graphql.schema.trusted_documents import (
    TrustedDocuments,
    UntrustedDocument,
    document_hash,
    document_to_run,
)

TEXT = "query Hello { __typename }"
ONLY = TrustedDocuments({"hello": TEXT}, only=True)


def test_a_reformatted_document_is_the_manifests_text() -> None:
    for form in (
        print_ast(parse(TEXT)),
        "query Hello {\n  # why\n  __typename,\n}",
        "  query   Hello{__typename}  ",
    ):
        assert ONLY.trusted_text(form) == TEXT, form
        assert document_to_run(ONLY, form, None) == TEXT


def test_a_document_parsing_to_another_tree_is_not() -> None:
    for form in ("query Hola { __typename }", "{ __typename }", "query Hello { a: __typename }"):
        assert ONLY.trusted_text(form) is None, form


def test_a_document_with_more_tokens_than_any_in_the_manifest_is_not_parsed_through() -> None:
    longer = "query Hello { __typename " + "__typename " * 1_000 + "}"
    assert ONLY.trusted_text(longer) is None


def test_two_texts_that_print_alike_resolve_to_the_first_on_every_load() -> None:
    second = "query Hello {\n  __typename\n}"
    trusted = TrustedDocuments({"a": TEXT, "b": second}, only=True)
    assert trusted.trusted_text(TEXT) == TEXT
    assert trusted.trusted_text(second) == second
    assert trusted.trusted_text("query Hello{ __typename }") == TEXT


def test_the_hash_of_the_printed_form_names_the_document() -> None:
    printed = print_ast(parse(TEXT))
    assert ONLY.text_of(f"sha256:{document_hash(printed)}") == TEXT
    assert document_to_run(ONLY, printed, document_hash(printed)) == TEXT


def test_a_lone_surrogate_names_no_document() -> None:
    odd = TEXT + "\ud800"
    assert document_hash(odd) != document_hash(TEXT)
    assert ONLY.trusted_text(odd) is None
    with pytest.raises(UntrustedDocument) as refused:
        document_to_run(ONLY, odd, None)
    assert refused.value.code == "TRUSTED_DOCUMENTS_ONLY"
