"""Security headers on every HTTP response, without overriding what a route chose itself."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .content_security_policy import API_POLICY, PAGE_POLICY

Headers = list[tuple[bytes, bytes]]

_EVERY_RESPONSE: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    # The legacy twin of CSP frame-ancestors, for browsers that predate it.
    ("X-Frame-Options", "DENY"),
    # Checkout URLs carry order ids and payment keys: never leak them in a Referer.
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    # No page here uses a device or browser capability.
    (
        "Permissions-Policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()",
    ),
)
# Two years with subdomains: the HSTS preload list's minimum. Production only, so a developer's
# http://localhost is never pinned to HTTPS.
_PRODUCTION_ONLY: tuple[tuple[str, str], ...] = (
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
)


def _encoded(headers: tuple[tuple[str, str], ...]) -> Headers:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response; a header the app set wins.

    HTML (GraphiQL, the sandbox's pages) gets a policy that lets those pages load; every
    other response is API data and gets a policy that allows nothing, and `no-store`
    because payment data must not sit in a proxy's or browser's cache.
    """

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        common = _EVERY_RESPONSE + (_PRODUCTION_ONLY if production else ())
        self._for_pages = _encoded((*common, ("Content-Security-Policy", PAGE_POLICY)))
        self._for_data = _encoded(
            (
                *common,
                ("Content-Security-Policy", API_POLICY),
                ("Cache-Control", "no-store"),
            )
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._with_defaults(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _with_defaults(self, sent: Iterable[tuple[bytes, bytes]]) -> Headers:
        headers = list(sent)
        present = {name.lower(): value for name, value in headers}
        is_page = present.get(b"content-type", b"").lower().startswith(b"text/html")
        defaults = self._for_pages if is_page else self._for_data
        return [*headers, *((name, value) for name, value in defaults if name not in present)]
