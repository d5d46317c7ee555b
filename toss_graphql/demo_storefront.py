"""What the reference storefront needs to know in development (its `config.json`)."""

from __future__ import annotations

import ipaddress
from typing import Any

from starlette.requests import Request

from .auth import DEVELOPMENT_ALGORITHM, issue_token
from .config import Settings
from .demo import DEMO_PRODUCTS

# Toss's own script, for a service that talks to Toss rather than to its built-in sandbox.
TOSS_SDK_URL = "https://js.tosspayments.com/v2/standard"


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
        "sdkUrl": f"{base}/sandbox/v2/standard" if settings.uses_builtin_sandbox else TOSS_SDK_URL,
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
