"""Trusted documents (persisted operations): the operations a production API agrees to run,
loaded once from a manifest, parsed and validated at load (docs/http.md).

The manifest is the JSON map GraphQL Code Generator's client preset (`persisted-documents.json`)
and Relay's persisted-query output both write: `{"<id>": "<document text>"}`. A request names a
document by `documentId` (GraphQL over HTTP's persisted documents; `sha256:<hex>` or the bare id)
or by Apollo's `extensions.persistedQuery.sha256Hash`; a request that sends the text itself is
recognised by the text's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from graphql.validation import specified_rules

from .schema import MAX_TOKENS, VALIDATION_RULES

SHA256_PREFIX = "sha256:"


class TrustedDocumentsError(ValueError):
    """The manifest cannot be used: unreadable, not a map of strings, or a document in it
    does not parse or validate against the schema."""


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class TrustedDocuments:
    texts: Mapping[str, str]
    # Only these may run (TRUSTED_DOCUMENTS_ONLY); otherwise any document may, and a known
    # id is a shortcut.
    only: bool
    # Each text's document, parsed and validated at load.
    prepared: Mapping[str, DocumentNode] = field(default_factory=dict)
    _by_hash: Mapping[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_hash = {document_hash(text): text for text in self.texts.values()}
        object.__setattr__(self, "_by_hash", by_hash)

    @classmethod
    def load(cls, path: Path, schema: GraphQLSchema, *, only: bool) -> TrustedDocuments:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise TrustedDocumentsError(f"{path}: cannot be read as JSON ({error})") from None
        if not isinstance(manifest, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in manifest.items()
        ):
            raise TrustedDocumentsError(f"{path}: expected a JSON object of id to document text")
        try:
            prepared = cls.check(manifest, schema)
        except TrustedDocumentsError as error:
            raise TrustedDocumentsError(f"{path}: {error}") from None
        return cls(dict(manifest), only, prepared)

    @staticmethod
    def check(manifest: Mapping[str, str], schema: GraphQLSchema) -> dict[str, DocumentNode]:
        """Every document parsed and validated, with the limits of any request: by text."""
        prepared: dict[str, DocumentNode] = {}
        problems = []
        for document_id, text in manifest.items():
            try:
                prepared[text] = _prepare(text, schema)
            except _Invalid as invalid:
                problems.append(f"{document_id}: {invalid}")
        if problems:
            raise TrustedDocumentsError("; ".join(problems))
        return prepared

    def text_of(self, document_id: str) -> str | None:
        """The document a `documentId` (`sha256:<hex>` or the manifest's own id) names."""
        return self.texts.get(document_id) or self._by_hash.get(
            document_id.removeprefix(SHA256_PREFIX)
        )

    def is_trusted(self, text: str) -> bool:
        return document_hash(text) in self._by_hash


class _Invalid(Exception):
    pass


def _prepare(text: str, schema: GraphQLSchema) -> DocumentNode:
    try:
        document = parse(text, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        raise _Invalid(error.message) from None
    errors = validate(schema, document, (*specified_rules, *VALIDATION_RULES))
    if errors:
        raise _Invalid("; ".join(error.message for error in errors))
    return document


def manifest_from(texts: Iterable[str]) -> dict[str, str]:
    """The manifest for these documents: each keyed by its SHA-256, in a stable order."""
    return dict(sorted((document_hash(text), text) for text in texts))


class UntrustedDocument(Exception):
    """A request this manifest does not let run; `code` for the client."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def persisted_query_hash(extensions: Mapping[str, object] | None) -> str | None:
    """Apollo's `extensions.persistedQuery.sha256Hash`, when the request carries one."""
    persisted = (extensions or {}).get("persistedQuery")
    if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
        return str(persisted["sha256Hash"])
    return None


def document_to_run(
    trusted: TrustedDocuments, query: str | None, document_id: str | None
) -> str | None:
    """The text to execute for a request naming `document_id` and/or sending `query`."""
    if document_id is not None:
        text = trusted.text_of(document_id)
        if text is None:
            raise UntrustedDocument(
                f"no trusted document has the id {document_id!r}", "PERSISTED_QUERY_NOT_FOUND"
            )
        if query is not None and query != text:
            raise UntrustedDocument(
                "the query sent is not the document its id names", "PERSISTED_QUERY_MISMATCH"
            )
        return text
    if trusted.only and (query is None or not trusted.is_trusted(query)):
        raise UntrustedDocument(
            "this API runs trusted documents only: send the documentId of one in its manifest",
            "TRUSTED_DOCUMENTS_ONLY",
        )
    return query
