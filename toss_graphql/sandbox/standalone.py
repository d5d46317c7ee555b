"""Serving the sandbox on its own, for `toss-graphql sandbox` and `python -m`."""

from __future__ import annotations

import uvicorn

from toss_graphql.sandbox.app import Sandbox
from toss_graphql.sandbox.config import SandboxConfig


def run_standalone(host: str, port: int, database_url: str, secret_key: str) -> None:
    """Serve the sandbox with uvicorn until interrupted."""
    sandbox = Sandbox(SandboxConfig(database_url=database_url, secret_key=secret_key))
    uvicorn.run(sandbox.app, host=host, port=port)
