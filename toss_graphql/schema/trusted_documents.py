"""Trusted documents (persisted operations): the operations a production API agrees to run,
loaded once from a manifest, parsed and validated at load (docs/http.md).

The manifest is the JSON map GraphQL Code Generator's client preset (`persisted-documents.json`)
and Relay's persisted-query output both write: `{"<id>": "<document text>"}`. A request names a
document by `documentId` (GraphQL over HTTP's persisted documents; `sha256:<hex>` or the bare id)
or by Apollo's `extensions.persistedQuery.sha256Hash`; a request that sends the text itself is
recognised by the text's SHA-256.

Third-party clients (Python's `gql`, Apollo) print a document before sending it, so the text
that arrives is rarely the manifest's. Each entry is therefore also known by its canonical form,
graphql-core's printing of its syntax tree: a request whose text misses is parsed, within the
token count of the largest entry, and matched by that form (docs/http.md, Trusted documents).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, print_ast, validate
from graphql.language import Lexer, Source, TokenKind
from graphql.validation import specified_rules

from .schema import MAX_TOKENS, VALIDATION_RULES

SHA256_PREFIX = "sha256:"


class TrustedDocumentsError(ValueError):
    """The manifest cannot be used: unreadable, not a map of strings, or a document in it
    does not parse or validate against the schema."""


def document_hash(text: str) -> str:
    # JSON may carry a lone surrogate ("\ud800"), which strict UTF-8 cannot encode; such a
    # text is hashed as is and simply names no document.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TrustedDocuments:
    texts: Mapping[str, str]
    # Only these may run (TRUSTED_DOCUMENTS_ONLY); otherwise any document may, and a known
    # id is a shortcut.
    only: bool
    # Each text's document, parsed and validated at load.
    prepared: Mapping[str, DocumentNode] = field(default_factory=dict)
    _by_hash: Mapping[str, str] = field(init=False, repr=False)
    # Each text by its canonical form, the one a client that prints documents sends.
    _by_canonical: Mapping[str, str] = field(init=False, repr=False)
    # A request with more tokens than the largest document cannot be a re-formatting of one.
    _max_tokens: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # In the manifest's order, the first of two texts that print alike wins, on every start;
        # a text sent exactly is always itself.
        texts = list(dict.fromkeys(self.texts.values()))
        by_canonical: dict[str, str] = {}
        for text in texts:
            by_canonical.setdefault(_canonical(self.prepared.get(text) or parse(text)), text)
        by_hash = {document_hash(canonical): text for canonical, text in by_canonical.items()}
        by_hash.update((document_hash(text), text) for text in texts)
        object.__setattr__(self, "_by_hash", by_hash)
        object.__setattr__(self, "_by_canonical", by_canonical)
        object.__setattr__(self, "_max_tokens", max(map(_token_count, texts), default=0))

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
        """`text` is exactly one of the manifest's."""
        return self._by_hash.get(document_hash(text)) == text

    def trusted_text(self, text: str) -> str | None:
        """The manifest's text of the document `text` is, exactly or once re-formatted."""
        if self.is_trusted(text):
            return text
        try:
            # No more tokens than the largest document has; comments, which re-formatting may
            # add or drop, only within the limit of any request.
            document = parse(text, max_tokens=MAX_TOKENS, max_lexical_tokens=self._max_tokens)
        except GraphQLError:
            return None
        return self._by_canonical.get(_canonical(document))


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


def _canonical(document: DocumentNode) -> str:
    return print_ast(document)


def _token_count(text: str) -> int:
    """Tokens other than comments: what a re-formatting of the document keeps."""
    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


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
    """The text to execute for a request naming `document_id` and/or sending `query`: a
    trusted document runs as the manifest's text, whatever form the client sent it in."""
    if document_id is not None and not _hash_of_its_own(document_id, query):
        text = trusted.text_of(document_id)
        if text is None:
            raise UntrustedDocument(
                f"no trusted document has the id {document_id!r}", "PERSISTED_QUERY_NOT_FOUND"
            )
        if query is not None and query != text and trusted.trusted_text(query) != text:
            raise UntrustedDocument(
                "the query sent is not the document its id names", "PERSISTED_QUERY_MISMATCH"
            )
        return text
    if not trusted.only:
        return query
    known = trusted.trusted_text(query) if query is not None else None
    if known is None:
        raise UntrustedDocument(
            "this API runs trusted documents only: send the documentId of one in its manifest",
            "TRUSTED_DOCUMENTS_ONLY",
        )
    return known


def _hash_of_its_own(document_id: str, query: str | None) -> bool:
    """The id is the SHA-256 of the query sent with it (Apollo's retry after
    PERSISTED_QUERY_NOT_FOUND): the query decides, as if it had come alone."""
    return query is not None and document_id.removeprefix(SHA256_PREFIX) == document_hash(query)
