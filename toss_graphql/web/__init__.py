"""HTTP-level defences: security headers, CORS, request body size, mutation rate limits."""

from .body_limit import BodySizeLimitMiddleware
from .cors import cors_middleware
from .rate_limit import MutationRateLimiter
from .security_headers import SecurityHeadersMiddleware
from .stack import http_defences

__all__ = [
    "BodySizeLimitMiddleware",
    "MutationRateLimiter",
    "SecurityHeadersMiddleware",
    "cors_middleware",
    "http_defences",
]
