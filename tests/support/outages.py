"""Toss's lost replies and the `reconcile` command that settles them, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support.servers import SERVICE_SETTINGS
from toss_graphql.config import SANDBOX_SECRET_KEY

CONFIRM_PATH = "/v1/payments/confirm"


async def lose_replies(sandbox: httpx.AsyncClient, path: str, attempts: int = 3) -> None:
    """Toss acts on the first attempt and answers none: every attempt goes unanswered."""
    faults = [{"method": "POST", "path": path, "kind": "drop_after_commit", "times": 1}]
    if attempts > 1:
        faults.append({"method": "POST", "path": path, "kind": "timeout", "times": attempts - 1})
    (await sandbox.post("/admin/faults", json=faults)).raise_for_status()


def reconcile(
    database_url: str,
    toss_url: str,
    directory: Path,
    settings: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`toss-graphql reconcile --min-age 0` run to its end, its output captured."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    env.update(
        DATABASE_URL=database_url,
        TOSS_API_URL=toss_url,
        TOSS_SECRET_KEY=SANDBOX_SECRET_KEY,
        TOSS_GRAPHQL_VAR_DIR=str(directory),
        TOSS_TIMEOUT_SECONDS="5",
    )
    env.update(settings or {})
    return subprocess.run(
        [sys.executable, "-m", "toss_graphql.cli", "reconcile", "--min-age", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
