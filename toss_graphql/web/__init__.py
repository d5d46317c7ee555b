"""HTTP-level defences: security headers, CORS, request body size, rate limits."""

from .body_limit import BodySizeLimitMiddleware
from .cors import cors_middleware
from .rate_limit import AddressRateLimiter, MutationRateLimiter, RequestRateLimiter
from .security_headers import SecurityHeadersMiddleware
from .stack import http_defences

__all__ = [
    "AddressRateLimiter",
    "BodySizeLimitMiddleware",
    "MutationRateLimiter",
    "RequestRateLimiter",
    "SecurityHeadersMiddleware",
    "cors_middleware",
    "http_defences",
]
