"""Which media type a GraphQL answer is written in, from the request's `Accept` (docs/http.md).

GraphQL over HTTP: `application/graphql-response+json` for clients that ask for it, whose
status codes tell a request that never ran (4xx) from one that did (2xx); `application/json`
for the others, always 200 for a well-formed request, as before the specification.
"""

from __future__ import annotations

from typing import Final

GRAPHQL_RESPONSE: Final = "application/graphql-response+json"
JSON: Final = "application/json"


def _ranges(accept: str) -> list[tuple[str, float]]:
    """The header's media ranges with their quality, lower-cased, parameters other than q
    dropped; a range with a malformed q counts as refused."""
    ranges = []
    for part in accept.split(","):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        if not media_range:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range.lower(), quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    """The quality of the most specific range that matches `media_type` (RFC 9110 §12.5.1)."""
    kind = media_type.split("/")[0]
    for candidate in (media_type, f"{kind}/*", "*/*"):
        for media_range, quality in ranges:
            if media_range == candidate:
                return quality
    return 0.0


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither (406).

    No `Accept`, or one that names neither type explicitly (`*/*`, `application/*`), gets
    `application/json`: a client that never heard of the new type must not receive it. Named
    explicitly, the new type wins unless `application/json` has the higher quality.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    named = {media_range for media_range, _ in ranges}
    new, legacy = _quality(ranges, GRAPHQL_RESPONSE), _quality(ranges, JSON)
    if GRAPHQL_RESPONSE in named and new > 0 and new >= legacy:
        return GRAPHQL_RESPONSE
    if legacy > 0:
        return JSON
    if new > 0:
        return GRAPHQL_RESPONSE
    return None
