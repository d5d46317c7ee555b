"""`toss-graphql` given bad settings, as an operator runs it: each mistake is one line on
standard error naming the environment variable and what it accepts, exit code 2, and no
traceback (README.md, Configuration)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support.postgres import temporary_database
from tests.support.servers import SERVICE_SETTINGS, free_port
from toss_graphql.cli import main

pytestmark = pytest.mark.e2e

COMMAND = str(Path(sys.executable).parent / "toss-graphql")
# A refusal comes before anything is served; a command still running after this is a failure
# (the old behaviour: a server that starts with the bad value).
RUN_SECONDS = 90
TOSS_KEYS = {"TOSS_SECRET_KEY": "test_sk_" + "k" * 24, "AUTH_JWT_SECRET": "s" * 40}


def run(
    args: list[str], tmp_path: Path, settings: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """`toss-graphql ARGS` with only `settings` (and a var directory of the test's own)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    env.update(
        {
            "TOSS_GRAPHQL_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'toss-graphql.db'}",
            **settings,
        }
    )
    env = {k: v for k, v in env.items() if v}
    try:
        return subprocess.run(
            [COMMAND, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            cwd=tmp_path,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"toss-graphql {' '.join(args)} was still running: {expired.stdout!r}")


def assert_refused(result: subprocess.CompletedProcess[str], *named: str) -> str:
    """The one line the command refused with; it names each of `named`."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 2, output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, output
    for name in named:
        assert name in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("settings", "variable", "accepted"),
    [
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ({"CORS_ORIGINS": "shop.example.com"}, "CORS_ORIGINS", "scheme://host[:port]"),
        ({"CORS_ORIGINS": "https://shop.example.com/"}, "CORS_ORIGINS", "scheme://host[:port]"),
        ({"LOG_FORMAT": "yaml"}, "LOG_FORMAT", "'text' or 'json'"),
        ({"APP_ENV": "staging"}, "APP_ENV", "'development' or 'production'"),
        ({"DATABASE_URL": "mysql://shop@db/shop"}, "DATABASE_URL", "postgresql+asyncpg://"),
        (
            {"DATABASE_URL": "postgresql+psycopg2://shop@db/shop"},
            "DATABASE_URL",
            "postgresql+asyncpg://",
        ),
        ({"TOSS_TIMEOUT_SECONDS": "0"}, "TOSS_TIMEOUT_SECONDS", "from 1 to 300"),
        ({"DATABASE_POOL_SIZE": "-1"}, "DATABASE_POOL_SIZE", "from 1 to 1000"),
        ({"DATABASE_POOL_SIZE": "many"}, "DATABASE_POOL_SIZE", "from 1 to 1000"),
        ({"RATE_LIMIT_PER_BUYER": "0"}, "RATE_LIMIT_PER_BUYER", "from 1 to"),
        ({"MAX_REQUEST_BYTES": "-5"}, "MAX_REQUEST_BYTES", "from 1000 to"),
        ({"SUBSCRIPTION_KEEPALIVE_SECONDS": "0"}, "SUBSCRIPTION_KEEPALIVE_SECONDS", "from 0.1"),
        ({"RECONCILE_INTERVAL_SECONDS": "-1"}, "RECONCILE_INTERVAL_SECONDS", "from 0 to"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_and_what_it_accepts(
    tmp_path: Path,
    settings: dict[str, str],
    variable: str,
    accepted: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The command's own main, in this process: the refusal comes before anything is opened,
    # and a table of interpreters would cost a second or two of CPU each. The commands run
    # as processes below (`serve` with a bad LOG_LEVEL among them) show the same line there.
    for name in SERVICE_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOSS_GRAPHQL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'toss-graphql.db'}")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)

    returncode = main(["migrate"])

    printed = capsys.readouterr()
    result = subprocess.CompletedProcess(["migrate"], returncode, printed.out, printed.err)
    assert_refused(result, variable, accepted)


def test_serve_with_an_unknown_log_level_refuses_before_its_banner(tmp_path: Path) -> None:
    result = run(["serve", "--port", str(free_port())], tmp_path, {"LOG_LEVEL": "verbose"})
    assert_refused(result, "LOG_LEVEL")
    assert "token" not in result.stdout.lower()


def test_a_database_password_is_never_echoed(tmp_path: Path) -> None:
    url = "mysql://shop:hunter2@db.example/shop"
    line = assert_refused(run(["migrate"], tmp_path, {"DATABASE_URL": url}), "DATABASE_URL")
    assert "hunter2" not in line


def test_values_are_taken_whatever_their_case(tmp_path: Path) -> None:
    settings = {"LOG_FORMAT": "JSON", "LOG_LEVEL": "debug", "APP_ENV": "Development"}
    result = run(["migrate"], tmp_path, settings)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_a_driverless_postgresql_url_is_taken_with_asyncpg(tmp_path: Path) -> None:
    with temporary_database() as url:
        for scheme in ("postgres", "postgresql"):
            bare = url.replace("postgresql+asyncpg://", f"{scheme}://")
            result = run(["migrate"], tmp_path, {"DATABASE_URL": bare})
            assert result.returncode == 0, result.stderr
            assert "latest migration" in result.stdout


def test_production_demands_database_url(tmp_path: Path) -> None:
    settings = {"APP_ENV": "production", "DATABASE_URL": "", **TOSS_KEYS}
    assert_refused(run(["migrate"], tmp_path, settings), "DATABASE_URL", "APP_ENV=production")
    assert not (tmp_path / "var").exists()


def test_production_refuses_a_misspelt_setting_naming_the_one_meant(tmp_path: Path) -> None:
    settings = {"APP_ENV": "production", "TRUSTED_DOCUMENT_ONLY": "true", **TOSS_KEYS}
    assert_refused(
        run(["migrate"], tmp_path, settings), "TRUSTED_DOCUMENT_ONLY", "TRUSTED_DOCUMENTS_ONLY"
    )


def test_development_warns_of_a_misspelt_setting_and_goes_on(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, {"DATABSE_URL": "sqlite+aiosqlite:///elsewhere.db"})
    assert result.returncode == 0, result.stderr
    assert "DATABSE_URL" in result.stderr and "DATABASE_URL" in result.stderr


def test_variables_of_other_programs_are_not_taken_for_misspellings(tmp_path: Path) -> None:
    others = {"TOSS_LIVE_SECRET_KEY": "test_sk_live", "LOG_DIR": str(tmp_path), "DATABASE": "x"}
    result = run(["migrate"], tmp_path, others)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_a_wrong_database_name_is_one_line_with_the_password_masked(tmp_path: Path) -> None:
    with temporary_database() as url:
        wrong = url.replace("postgres@", "postgres:hunter2@").rsplit("/", 1)[0] + "/no_such_db"
        for command in (["migrate"], ["serve", "--port", str(free_port())], ["seed-demo"]):
            result = run(command, tmp_path, {"DATABASE_URL": wrong})
            line = assert_refused(result, "DATABASE_URL", "no_such_db")
            assert "hunter2" not in result.stdout + result.stderr, line


def test_seed_demo_before_migrate_says_to_migrate(tmp_path: Path) -> None:
    with temporary_database() as url:
        result = run(["seed-demo"], tmp_path, {"DATABASE_URL": url})
        assert_refused(result, "DATABASE_URL", "toss-graphql migrate")


def test_seed_demo_refuses_production(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    settings = {"APP_ENV": "production", "DATABASE_URL": database, **TOSS_KEYS}
    assert_refused(run(["seed-demo"], tmp_path, settings), "APP_ENV=production")
    assert not (tmp_path / "shop.db").exists()


def test_a_port_in_use_is_one_line_before_the_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["serve", "--port", str(port)], tmp_path, {})
    assert_refused(result, f"--port {port}", "already in use")
    assert result.stdout == ""


def test_the_metrics_scope_is_not_given_to_a_token_that_can_do_more(tmp_path: Path) -> None:
    for role in ("--service", "--admin"):
        result = run(["token", "prometheus", role, "--scope", "metrics"], tmp_path, {})
        assert_refused(result, "--metrics")
