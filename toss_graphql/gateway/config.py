"""How to reach Toss: explicit settings and the one pooled HTTP client built from them."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import httpx


def default_timeout() -> httpx.Timeout:
    # Toss documents no timeout for confirm or get (toss-api.md §6, §12.3). Connecting is
    # quick or broken (connect problems are mostly firewalls), so fail it fast; give the
    # approval itself room, since a read timeout on confirm leaves the outcome unknown.
    return httpx.Timeout(connect=3.0, read=30.0, write=10.0, pool=5.0)


def default_limits() -> httpx.Limits:
    # Enough connections for concurrent confirms from one process without a socket per
    # request; idle ones are closed before typical load-balancer idle cutoffs drop them.
    return httpx.Limits(max_connections=50, max_keepalive_connections=10, keepalive_expiry=30.0)


@dataclass(frozen=True, slots=True)
class TossGatewayConfig:
    """Settings of the Toss client, passed in rather than read from the environment.

    `base_url` may carry a path prefix (the built-in sandbox lives under one): request paths
    are appended to it. `secret_key` is the merchant's "API 개별 연동" secret key (payment
    window checkouts), `widget_secret_key` the payment widget's; either may be None when the
    merchant takes no checkout of that kind, not both. The keys are kept out of `repr` so a
    logged config leaks nothing.

    `cancel_retry_spacing_seconds` is the least wait before retrying a cancel: Toss processes
    only the first of two cancels of one payment within a second (toss-api.md §2.4), so a
    quicker retry would only be refused.
    """

    base_url: str
    secret_key: str | None = field(repr=False)
    widget_secret_key: str | None = field(default=None, repr=False)
    timeout: httpx.Timeout = field(default_factory=default_timeout)
    max_attempts: int = 3
    backoff_seconds: float = 0.2
    cancel_retry_spacing_seconds: float = 1.0
    limits: httpx.Limits = field(default_factory=default_limits)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        if not self.secret_key and not self.widget_secret_key:
            raise ValueError("secret_key or widget_secret_key must be given")
        for name, key in (
            ("secret_key", self.secret_key),
            ("widget_secret_key", self.widget_secret_key),
        ):
            # A key pasted with a newline or read from a file with a UTF-8 BOM authenticates as
            # a different key (toss-api.md §1: a header starting `77u/` is a BOM encoded with
            # the key).
            if key is not None and key != key.strip().lstrip("\ufeff"):
                raise ValueError(f"{name} has surrounding whitespace or a byte-order mark")
            if key == "":
                raise ValueError(f"{name} must not be empty; give None for no key")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_seconds < 0:
            raise ValueError("backoff_seconds must not be negative")
        if self.cancel_retry_spacing_seconds < 0:
            raise ValueError("cancel_retry_spacing_seconds must not be negative")


def basic_authorization(secret_key: str) -> str:
    """The `Authorization` value Toss expects: the secret key as user, an empty password.

    The colon after the key is mandatory; without it Toss answers INCORRECT_BASIC_AUTH_FORMAT
    (toss-api.md §1).
    """
    token = base64.b64encode(f"{secret_key}:".encode()).decode("ascii")
    return f"Basic {token}"


def create_http_client(config: TossGatewayConfig) -> httpx.AsyncClient:
    """Build the process-wide pooled client; the caller owns it and closes it on shutdown.

    It carries no `Authorization`: each request sends the secret key of its payment's key
    set (`TossGateway`)."""
    return httpx.AsyncClient(
        base_url=config.base_url,
        timeout=config.timeout,
        limits=config.limits,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
