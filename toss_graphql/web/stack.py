"""The web defences as one ordered middleware list, so the order is decided in one place."""

from __future__ import annotations

from starlette.middleware import Middleware

from .body_limit import BodySizeLimitMiddleware
from .cors import cors_middleware
from .security_headers import SecurityHeadersMiddleware


def http_defences(
    *, production: bool, cors_origins: list[str], max_request_bytes: int
) -> list[Middleware]:
    """Security headers, CORS and the body limit, outermost first.

    Security headers outermost, so the CORS preflight answers and the 413 carry them too;
    CORS next, so a browser on an allowed origin can read a 413 instead of seeing an opaque
    network error; the body limit innermost, right before routing, where nothing has read
    the body yet.
    """
    cors = cors_middleware(cors_origins)
    return [
        Middleware(SecurityHeadersMiddleware, production=production),
        *([cors] if cors is not None else []),
        Middleware(BodySizeLimitMiddleware, max_bytes=max_request_bytes),
    ]
