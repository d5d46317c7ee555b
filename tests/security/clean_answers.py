"""What no answer of the API may be or show, whatever a client sends: a 5xx, an error masked as
"Internal server error", or Python's insides (a traceback, a source path, an exception class)."""

from __future__ import annotations

import builtins
import re
from typing import Any

import httpx

# Python's own exception classes, which no answer should name.
EXCEPTION_NAMES = re.compile(
    r"\b(?:"
    + "|".join(
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and not issubclass(value, Warning)
    )
    + r")\b"
)
# How Python's insides read when they leak: traceback lines, source paths, library modules.
LEAK_MARKERS = (
    "Traceback",
    'File "',
    '.py", line',
    "/site-packages/",
    "toss_graphql/",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
)
MASKED = "Internal server error"


def _messages(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["message"]] if isinstance(node.get("message"), str) else []
        return found + [text for value in node.values() for text in _messages(value)]
    if isinstance(node, list):
        return [text for value in node for text in _messages(value)]
    return []


def assert_answer_is_clean(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    try:
        body = response.json()
    except ValueError:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        body = None
    for marker in LEAK_MARKERS:
        assert marker not in response.text, response.text
    if body is None:
        return
    assert isinstance(body, dict) and ("data" in body or "errors" in body), response.text
    for error in body.get("errors") or []:
        extensions = error.get("extensions") or {}
        assert not {"stacktrace", "exception", "traceback"} & set(extensions)
        assert extensions.get("code") != "INTERNAL_SERVER_ERROR", response.text
    for message in _messages(body):
        assert not EXCEPTION_NAMES.search(message), message
        assert not message.startswith(MASKED), response.text
