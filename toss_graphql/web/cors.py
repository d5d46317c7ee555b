"""Cross-origin access for the browser origins named in CORS_ORIGINS, and no others."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware


def _require_origin(origin: str) -> None:
    # Browsers send `scheme://host[:port]` exactly; "https://shop.example/" or a bare host
    # would silently never match, so a typo fails at startup instead.
    parts = urlsplit(origin)
    well_formed = parts.netloc and origin == f"{parts.scheme}://{parts.netloc}"
    if parts.scheme not in ("http", "https") or not well_formed:
        raise ValueError(f"CORS origin {origin!r} is not of the form scheme://host[:port]")


def cors_middleware(origins: list[str]) -> Middleware | None:
    """Starlette's CORSMiddleware for exactly `origins`; None (same origin only) when empty.

    `["*"]` alone opens the API to every origin. Credentials are never allowed: callers
    authenticate with a bearer token in `Authorization`, which CORS lets through as an
    allowed header, and there are no cookies a browser should attach on another site's
    behalf. Retry-After and X-Request-ID are exposed so a browser client can honour a
    RATE_LIMITED answer and quote the request id in a support ticket.
    """
    if not origins:
        return None
    if origins != ["*"]:
        if "*" in origins:
            raise ValueError("CORS origin '*' cannot be combined with named origins")
        for origin in origins:
            _require_origin(origin)
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        allow_credentials=False,
        expose_headers=["Retry-After", "X-Request-ID"],
        max_age=600,
    )
