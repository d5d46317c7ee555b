"""Serving the sandbox on its own, for `toss-sandbox`, `python -m toss_sandbox` and
`toss-graphql sandbox`."""

from __future__ import annotations

import copy
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from toss_sandbox.app import Sandbox
from toss_sandbox.config import (
    PUBLIC_TEST_SECRET_KEY,
    PUBLIC_TEST_WIDGET_SECRET_KEY,
    SandboxConfig,
)

# A request held by a `timeout` fault must not keep a stopping server up for two minutes.
_GRACEFUL_SHUTDOWN_SECONDS = 5


def _logging_config() -> dict[str, Any]:
    """uvicorn's own, with the sandbox's messages (a client hanging up, say) alongside
    uvicorn's: without a handler of their own, Python would show warnings and worse only."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["toss_sandbox"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def banner(host: str, port: int, config: SandboxConfig) -> str:
    """What is listening, where, and the keys it takes. The sandbox's own public test key is
    shown; a key given in the environment is named, never printed."""
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    base = f"http://{local_host}:{port}"
    public = config.secret_key == PUBLIC_TEST_SECRET_KEY
    secret = config.secret_key if public else "the one in TOSS_SECRET_KEY"
    public_widget = config.widget_secret_key == PUBLIC_TEST_WIDGET_SECRET_KEY
    widget = config.widget_secret_key if public_widget else "the one in TOSS_WIDGET_SECRET_KEY"
    return "\n".join(
        (
            f"Toss sandbox:       {base} (Toss's API: /v1/payments/...)",
            f"Secret key:         {secret} (Basic auth, as Toss's API takes it)",
            f"Widget secret key:  {widget} (confirms what the payment widget started)",
            "Client keys:        any test_ck_... key (test_ck_sandbox) for the payment window,",
            "                    any test_gck_... key (test_gck_sandbox) for the widget",
            f"Checkout:           {base}/checkout?clientKey=test_ck_sandbox&orderId=...",
            f"Browser SDK:        {base}/v2/standard (Toss's v2 SDK at Toss's path; "
            "v1: /v1/payment, /v1/payment-widget)",
            f"Webhooks to:        {config.webhook_url or 'nowhere (--webhook-url sets it)'}",
        )
    )


def run_standalone(
    host: str,
    port: int,
    database_url: str,
    secret_key: str,
    webhook_url: str | None = None,
    widget_secret_key: str = PUBLIC_TEST_WIDGET_SECRET_KEY,
) -> None:
    """Serve the sandbox with uvicorn until interrupted."""
    config = SandboxConfig(
        database_url=database_url,
        secret_key=secret_key,
        widget_secret_key=widget_secret_key,
        webhook_url=webhook_url,
    )
    sandbox = Sandbox(config)
    print(banner(host, port, config), flush=True)
    uvicorn.run(
        sandbox.app,
        host=host,
        port=port,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
        log_config=_logging_config(),
    )
