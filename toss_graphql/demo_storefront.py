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


def storefront_config(settings: Settings, request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    demo_tokens = (
        settings.app_env == "development" and settings.auth_jwt_algorithm == DEVELOPMENT_ALGORITHM
    )
    return {
        "apiUrl": f"{base}/graphql",
        "clientKey": settings.resolved_client_key(),
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
