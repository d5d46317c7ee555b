"""JSON from outside the service (request bodies, webhooks, Toss's replies), parsed safely.

Python's parser recurses once per nesting level, so a 4 KB body of a thousand `[` raises
RecursionError deep inside whatever parses it. Nothing this service reads nests more than a
few levels (a GraphQL request's variables, a Toss Payment object), so a small bound refuses
such bodies as malformed before any code walks them.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class UntrustedJsonError(ValueError):
    """The text is not JSON, not UTF-8, or nests deeper than `MAX_DEPTH`."""


def loads(data: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    try:
        document = json.loads(data)
    except RecursionError:
        raise UntrustedJsonError(f"JSON nests deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise UntrustedJsonError("the body is not JSON") from error
    if depth(document) > max_depth:
        raise UntrustedJsonError(f"JSON nests deeper than {max_depth} levels")
    return document


def depth(document: object) -> int:
    """How deep arrays and objects nest in a parsed document; walked without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(document, 0)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level + 1)
        pending.extend((child, level + 1) for child in children)
    return deepest
