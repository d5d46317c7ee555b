"""The answer's media type from `Accept`: the new type only when named, JSON for everyone
else, nothing for a client that accepts neither."""

from __future__ import annotations

import pytest

from toss_graphql.web.media_types import GRAPHQL_RESPONSE, JSON, negotiate


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("application/json; charset=utf-8", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        ("Application/GraphQL-Response+JSON", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, application/json", JSON),
        (f"{GRAPHQL_RESPONSE}, */*;q=0.1", GRAPHQL_RESPONSE),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        ("text/plain", None),
        ("application/json;q=0", None),
        (f"{GRAPHQL_RESPONSE};q=0, text/plain", None),
        ("application/json;q=nonsense", None),
    ],
)
def test_the_answers_media_type(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen
