"""The start-up check of DATABASE_LISTEN_URL behind a transaction pooler (docs/operations.md,
"PgBouncer in transaction mode")."""

from __future__ import annotations

from pathlib import Path

import pytest

from toss_graphql.config import Settings
from toss_graphql.listen_url import listen_url_problem

POOLER = "postgresql+asyncpg://toss@pgbouncer:6432/toss"
DIRECT = "postgresql+asyncpg://toss@postgres:5432/toss"


def settings(tmp_path: Path, **given: object) -> Settings:
    return Settings(database_url=POOLER, toss_graphql_var_dir=tmp_path, **given)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "given",
    [
        {"database_pgbouncer": True},
        {"database_pgbouncer": True, "database_listen_url": POOLER},
    ],
)
def test_a_listener_left_behind_the_pooler_is_refused(
    tmp_path: Path, given: dict[str, object]
) -> None:
    problem = listen_url_problem(settings(tmp_path, **given))
    assert problem is not None
    assert "DATABASE_LISTEN_URL" in problem
    assert "\n" not in problem
    assert POOLER not in problem, "a URL may hold a password: the message names variables"


@pytest.mark.parametrize(
    "given",
    [
        {"database_pgbouncer": True, "database_listen_url": DIRECT},
        {"database_pgbouncer": True, "subscriptions_enabled": False},
        {"database_pgbouncer": False},
    ],
)
def test_a_listener_that_can_hear_or_no_listener_is_accepted(
    tmp_path: Path, given: dict[str, object]
) -> None:
    assert listen_url_problem(settings(tmp_path, **given)) is None
