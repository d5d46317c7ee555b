"""What the reference storefront needs to know in development (its `config.json`)."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from .auth import DEVELOPMENT_ALGORITHM, issue_token
from .config import Settings
from .demo import DEMO_PRODUCTS
from .web.content_security_policy import PAGE_POLICY, page_policy

# Toss's own script, for a service that talks to Toss rather than to its built-in sandbox.
TOSS_SDK_URL = "https://js.tosspayments.com/v2/standard"
TOSS_API_ORIGIN = "https://api.tosspayments.com"
# Where Toss's SDK draws its widget and window (frames) and sends its own calls from the page.
TOSS_PAGES = "https://*.tosspayments.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _talks_to_toss(settings: Settings) -> bool:
    return _origin(settings.toss_api_url) == TOSS_API_ORIGIN


def sdk_url(settings: Settings, base: str) -> str:
    """The payment SDK of the Toss this service confirms with: its built-in sandbox's at this
    origin, a standalone sandbox's beside its API (TOSS_API_URL), or Toss's own."""
    if settings.uses_builtin_sandbox:
        return f"{base}/sandbox/v2/standard"
    if _talks_to_toss(settings):
        return TOSS_SDK_URL
    return f"{settings.toss_api_url.rstrip('/')}/v2/standard"


def storefront_policy(settings: Settings) -> str:
    """The storefront pages' Content-Security-Policy, opened to exactly the SDK config.json
    names: a page that may not run the script it is told to load takes orders it cannot pay."""
    if settings.uses_builtin_sandbox:
        return PAGE_POLICY
    if _talks_to_toss(settings):
        return page_policy(
            script_origins=(_origin(TOSS_SDK_URL),),
            frame_origins=(TOSS_PAGES,),
            connect_origins=(TOSS_PAGES,),
        )
    sandbox = _origin(settings.toss_api_url)
    return page_policy(script_origins=(sandbox,), connect_origins=(sandbox,))


def _from_this_machine(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _client_keys(settings: Settings) -> tuple[str | None, str | None]:
    """The client keys of the checkouts this service can confirm, (window, widget): Toss
    confirms a payment only with the secret key of the checkout that started it, so a
    checkout whose secret key the service lacks is not offered."""
    if settings.uses_builtin_sandbox:
        return settings.resolved_client_key(), settings.resolved_widget_client_key()
    window_secret, widget_secret = settings.gateway_secret_keys()
    return (
        settings.toss_client_key if window_secret else None,
        settings.toss_widget_client_key if widget_secret else None,
    )


def storefront_config(settings: Settings, request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    demo_tokens = (
        settings.app_env == "development" and settings.auth_jwt_algorithm == DEVELOPMENT_ALGORITHM
    )
    client_key, widget_client_key = _client_keys(settings)
    return {
        "apiUrl": f"{base}/graphql",
        # Toss's payment widget, as Toss's samples pay; its payment window where the service
        # holds no widget keys. A static deployment chooses in its own config.json.
        "checkout": "widget" if widget_client_key else "window",
        "widgetClientKey": widget_client_key,
        "clientKey": client_key,
        "sdkUrl": sdk_url(settings, base),
        # The demo buyer's token, as `serve` prints it, only to a browser on this machine:
        # a development server bound to a wider address hands no token to its network.
        "demoToken": (
            issue_token(settings.resolved_jwt_secret(), "demo-buyer")
            if demo_tokens and _from_this_machine(request)
            else None
        ),
        # Shown to the buyer; the server prices the order itself.
        "catalog": [
            {"sku": product.sku, "name": product.name, "price": product.price}
            for product in DEMO_PRODUCTS
        ],
    }
