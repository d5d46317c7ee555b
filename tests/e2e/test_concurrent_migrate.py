"""`toss-graphql migrate` run by several deploy jobs at once on a fresh PostgreSQL: each ends
with the database at the latest migration, none with an error (toss_graphql/db/migrate.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.postgres import temporary_database
from tests.support.servers import SERVICE_SETTINGS

pytestmark = pytest.mark.e2e

COMMAND = str(Path(sys.executable).parent / "toss-graphql")
# Processes started together on each fresh database, and fresh databases: without a lock the
# first two race to create alembic_version most of the time, so three rounds of three lose
# a race at least once.
TOGETHER = 3
ROUNDS = 3
RUN_SECONDS = 120


def test_migrations_started_together_on_a_fresh_postgresql_all_succeed(tmp_path: Path) -> None:
    for _ in range(ROUNDS):
        with temporary_database() as url:
            env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
            env.update({"DATABASE_URL": url, "TOSS_GRAPHQL_VAR_DIR": str(tmp_path / "var")})
            processes = [
                subprocess.Popen(
                    [COMMAND, "migrate"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(TOGETHER)
            ]
            outcomes = [(p.communicate(timeout=RUN_SECONDS), p.returncode) for p in processes]
            for (stdout, stderr), returncode in outcomes:
                assert returncode == 0, stderr
                assert "Traceback" not in stderr
                assert "database is at the latest migration" in stdout
