"""`toss-graphql serve` behind PgBouncer with subscriptions on and no direct listen URL: it
refuses to start, with one line naming DATABASE_LISTEN_URL, instead of serving live updates
that never move (docs/operations.md, "PgBouncer in transaction mode")."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import JWT_SECRET
from tests.support.pgbouncer import pgbouncer_in_front_of
from tests.support.servers import SERVICE_SETTINGS, free_port
from toss_graphql.config import SANDBOX_SECRET_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]

# A guard against a hang: a `serve` that does not refuse runs until it is killed.
REFUSAL_BUDGET_SECONDS = 60


@pytest.fixture
def bouncer_url(clean_database: str) -> Iterator[str]:
    with pgbouncer_in_front_of(clean_database) as url:
        yield url


@pytest.mark.parametrize("listen_url", ["unset", "the pooler"])
async def test_serve_refuses_a_listener_behind_the_pooler(
    bouncer_url: str, tmp_path: Path, listen_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    env.update(
        DATABASE_URL=bouncer_url,
        DATABASE_PGBOUNCER="true",
        TOSS_SECRET_KEY=SANDBOX_SECRET_KEY,
        AUTH_JWT_SECRET=JWT_SECRET,
        TOSS_GRAPHQL_VAR_DIR=str(tmp_path),
        RECONCILE_INTERVAL_SECONDS="0",
    )
    if listen_url == "the pooler":
        env["DATABASE_LISTEN_URL"] = bouncer_url
    command = [str(Path(sys.executable).with_name("toss-graphql")), "serve"]
    try:
        done = await asyncio.to_thread(
            subprocess.run,
            [*command, "--port", str(free_port())],
            env=env,
            capture_output=True,
            text=True,
            timeout=REFUSAL_BUDGET_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as running:
        pytest.fail(f"serve started instead of refusing:\n{running.stdout!r}\n{running.stderr!r}")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "DATABASE_LISTEN_URL" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert bouncer_url not in done.stdout + done.stderr
