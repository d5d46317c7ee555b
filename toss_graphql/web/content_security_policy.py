"""The two Content-Security-Policy values: a closed one for the API, one for the HTML pages."""

from __future__ import annotations

from typing import Final

# JSON never needs to load or run anything, and must never be framed.
API_POLICY: Final = "default-src 'none'; frame-ancestors 'none'"

# The HTML pages (GraphiQL, the sandbox's) load everything from this origin: GraphiQL is built
# into the package from the npm registry (toss_graphql/web/graphiql.py), its scripts and
# editor workers are files, and its page has no inline script. Inline styles stay allowed
# ('unsafe-inline' in style-src): the editor and React write style attributes, and the
# sandbox's pages carry a `<style>` block; CSS cannot run code. Forms may post only to this
# origin: the sandbox's checkout sends its own, wider form-action because its answer
# redirects to the merchant, and the middleware keeps that header.


def page_policy(
    *,
    script_origins: tuple[str, ...] = (),
    frame_origins: tuple[str, ...] = (),
    connect_origins: tuple[str, ...] = (),
) -> str:
    """The pages' policy, opened to the origins a page loads a script from, frames or calls:
    the storefront's, for the payment SDK of wherever Toss is (demo_storefront.py)."""
    directives = [
        "default-src 'none'",
        " ".join(("script-src", "'self'", *script_origins)),
        "worker-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        # GraphiQL sends its queries to the page's own /graphql.
        " ".join(("connect-src", "'self'", *connect_origins)),
        *([" ".join(("frame-src", *frame_origins))] if frame_origins else []),
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
    return "; ".join(directives)


PAGE_POLICY: Final = page_policy()
