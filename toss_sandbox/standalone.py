"""Serving the sandbox on its own, for `toss-sandbox`, `python -m toss_sandbox` and
`toss-graphql sandbox`."""

from __future__ import annotations

import copy
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from toss_sandbox.app import Sandbox
from toss_sandbox.config import SandboxConfig

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


def run_standalone(
    host: str, port: int, database_url: str, secret_key: str, webhook_url: str | None = None
) -> None:
    """Serve the sandbox with uvicorn until interrupted."""
    sandbox = Sandbox(
        SandboxConfig(database_url=database_url, secret_key=secret_key, webhook_url=webhook_url)
    )
    uvicorn.run(
        sandbox.app,
        host=host,
        port=port,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
        log_config=_logging_config(),
    )
