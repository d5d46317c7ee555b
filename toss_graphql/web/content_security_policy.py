"""The two Content-Security-Policy values: a closed one for the API, one for the HTML pages."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from html.parser import HTMLParser
from typing import Final

from strawberry.http.ides import get_graphql_ide_html

# JSON never needs to load or run anything, and must never be framed.
API_POLICY: Final = "default-src 'none'; frame-ancestors 'none'"

# GraphiQL as Strawberry serves it (strawberry/static/graphiql.html) loads React, GraphiQL and
# the explorer plugin, scripts and stylesheets, from unpkg.com; GraphiQL's stylesheet
# @imports Roboto and Fira Code from Google Fonts (@graphiql/react/font/*.css), whose font
# files come from fonts.gstatic.com. tests/web/test_graphiql_policy.py parses the page
# Strawberry actually renders, so an upgrade that moves a host fails there, not in a browser.
_SCRIPT_HOSTS: Final = ("https://unpkg.com",)
_STYLE_HOSTS: Final = ("https://unpkg.com", "https://fonts.googleapis.com")
_FONT_HOSTS: Final = ("https://fonts.gstatic.com",)


class _InlineScripts(HTMLParser):
    """Collects the text of every `<script>` without a `src`, as the browser hashes it."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not dict(attrs).get("src"):
            self._current = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def inline_script_hashes(document: str) -> list[str]:
    """CSP hash sources (`'sha256-…'`) for the inline scripts of an HTML document."""
    parser = _InlineScripts()
    parser.feed(document)
    parser.close()
    return [
        "'sha256-{}'".format(
            base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        )
        for script in parser.scripts
    ]


@cache
def page_policy() -> str:
    """The policy for HTML: GraphiQL's CDN assets and its own inline script, nothing else.

    The inline script is allowed by its hash, taken from the page the installed Strawberry
    serves, rather than by 'unsafe-inline': injected script still cannot run. Inline styles
    stay allowed ('unsafe-inline' in style-src) because GraphiQL and the sandbox pages both
    carry a `<style>` block and React writes style attributes; CSS cannot run code. Forms
    may post only to this origin: the sandbox's checkout sends its own, wider form-action
    because its answer redirects to the merchant, and the middleware keeps that header.
    """
    script_sources = " ".join(
        (*_SCRIPT_HOSTS, *inline_script_hashes(get_graphql_ide_html("graphiql")))
    )
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {script_sources}",
            f"style-src 'unsafe-inline' {' '.join(_STYLE_HOSTS)}",
            f"font-src {' '.join(_FONT_HOSTS)}",
            # GraphiQL's favicon is a data: SVG.
            "img-src data:",
            # GraphiQL sends its queries to the page's own /graphql.
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )
