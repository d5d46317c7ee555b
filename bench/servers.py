"""Real server processes on loopback: the project through its CLI, the floors under uvicorn,
the sandbox through `toss-sandbox`; and the project's CLI for migrations and tokens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"
# The console scripts beside the interpreter running the benchmark: the venv's.
BIN = Path(sys.executable).parent
REPOSITORY = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60
STOP_SECONDS = 15
# Secrets of the benchmark's own throwaway servers, known to every side.
JWT_SECRET = "bench-jwt-secret-long-enough-for-hs256-0123456789"
TOSS_SECRET_KEY = "test_sk_sandbox"
# Far above anything a 16-connection benchmark sends: throttling would measure the limiter.
UNLIMITED = str(10**9)
# Both the project and the floors log warnings and worse only: no access log on either.
LOG_LEVEL = "warning"
# Where the read benchmarks point Toss: the discard port, nothing listens (reads never call).
UNUSED_TOSS_URL = "http://127.0.0.1:9"
# Settings the project reads from the environment; a server sees only the ones given here.
_PROJECT_SETTINGS = frozenset(
    {
        "APP_ENV",
        "DATABASE_URL",
        "SANDBOX_DATABASE_URL",
        "TOSS_SECRET_KEY",
        "TOSS_CLIENT_KEY",
        "TOSS_API_URL",
        "AUTH_JWT_SECRET",
        "AUTH_JWT_ALGORITHM",
        "AUTH_JWT_PUBLIC_KEY_FILE",
        "AUTH_JWT_JWKS_FILE",
        "AUTH_JWT_ISSUER",
        "AUTH_JWT_AUDIENCE",
        "TOSS_GRAPHQL_VAR_DIR",
        "TOSS_TIMEOUT_SECONDS",
        "RECONCILE_INTERVAL_SECONDS",
        "RATE_LIMIT_PER_BUYER",
        "RATE_LIMIT_PER_ADDRESS",
        "RATE_LIMIT_REQUESTS_PER_ADDRESS",
        "RATE_LIMIT_ANONYMOUS_PER_ADDRESS",
        "FORWARDED_ALLOW_IPS",
        "CORS_ORIGINS",
        "MAX_REQUEST_BYTES",
        "LOG_LEVEL",
        "SUBSCRIPTIONS_ENABLED",
        "SUBSCRIPTIONS_PER_CONNECTION",
        "SUBSCRIPTIONS_PER_SUBJECT",
        "DATABASE_PGBOUNCER",
        "DATABASE_LISTEN_URL",
    }
)


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the server wrote: why it refused a request, say."""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(settings: Mapping[str, str]) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k.upper() not in _PROJECT_SETTINGS}
    return {**inherited, **settings}


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up:\n{log_path.read_text(errors='replace')}")


@contextmanager
def _running(
    name: str, command: list[str], settings: Mapping[str, str], ready_path: str, directory: Path
) -> Iterator[Server]:
    port = free_port()
    url = f"http://{HOST}:{port}"
    log_path = directory / f"{name}-{port}.log"
    with log_path.open("wb") as log_file:
        # A session of its own: stopping the server stops its uvicorn workers with it.
        process = subprocess.Popen(
            [*command, "--host", HOST, "--port", str(port)],
            env=_environment(settings),
            cwd=REPOSITORY,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(url + ready_path, process, log_path)
            yield Server(name, url, process, log_path)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def project_settings(database_url: str, toss_url: str, directory: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TOSS_API_URL": toss_url,
        # A key of its own: the project talks to the standalone sandbox, not its built-in one.
        "TOSS_SECRET_KEY": TOSS_SECRET_KEY,
        "AUTH_JWT_SECRET": JWT_SECRET,
        "TOSS_GRAPHQL_VAR_DIR": str(directory),
        "RECONCILE_INTERVAL_SECONDS": "0",
        "RATE_LIMIT_PER_BUYER": UNLIMITED,
        "RATE_LIMIT_PER_ADDRESS": UNLIMITED,
        "RATE_LIMIT_REQUESTS_PER_ADDRESS": UNLIMITED,
        "RATE_LIMIT_ANONYMOUS_PER_ADDRESS": UNLIMITED,
        "LOG_LEVEL": LOG_LEVEL,
    }


def project(
    directory: Path,
    database_url: str,
    toss_url: str,
    workers: int = 1,
    extra: Mapping[str, str] | None = None,
) -> AbstractContextManager[Server]:
    """`toss-graphql serve`, as an operator runs it."""
    command = [str(BIN / "toss-graphql"), "serve", "--workers", str(workers)]
    settings = {**project_settings(database_url, toss_url, directory), **(extra or {})}
    return _running(f"project-w{workers}", command, settings, "/readyz", directory)


def floor(
    directory: Path,
    database_url: str,
    toss_url: str,
    workers: int = 1,
    extra: Mapping[str, str] | None = None,
) -> AbstractContextManager[Server]:
    """bench/floors.py under uvicorn's own command, with the project's log level."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.floors:app_from_env",
        "--factory",
        "--workers",
        str(workers),
        "--log-level",
        LOG_LEVEL,
    ]
    settings = {
        "BENCH_FLOOR_DATABASE_URL": database_url,
        "BENCH_FLOOR_JWT_SECRET": JWT_SECRET,
        "BENCH_FLOOR_TOSS_URL": toss_url,
        "BENCH_FLOOR_TOSS_SECRET_KEY": TOSS_SECRET_KEY,
        **(extra or {}),
    }
    return _running(f"floor-w{workers}", command, settings, "/healthz", directory)


def sandbox(directory: Path, database_url: str) -> AbstractContextManager[Server]:
    """`toss-sandbox` with its defaults: no --webhook-url, so it sends no webhooks."""
    command = [str(BIN / "toss-sandbox"), "--database-url", database_url]
    settings = {"TOSS_SECRET_KEY": TOSS_SECRET_KEY}
    return _running("sandbox", command, settings, "/admin/clock", directory)


def _cli(*arguments: str, settings: Mapping[str, str]) -> str:
    done = subprocess.run(
        [str(BIN / "toss-graphql"), *arguments],
        env=_environment(settings),
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"toss-graphql {' '.join(arguments)} failed:\n{done.stderr}")
    return done.stdout


def project_source() -> Path:
    """Where the servers import `toss_graphql` from: the working tree, unless PYTHONPATH
    puts another copy first (to measure an older commit, say)."""
    done = subprocess.run(
        [sys.executable, "-c", "import toss_graphql; print(toss_graphql.__file__)"],
        env=_environment({}),
        # Not the repository: `-c` puts the current directory first on sys.path, where the
        # console scripts the servers run from do not have it.
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip()).parent.parent


def migrate(directory: Path, database_url: str) -> None:
    _cli("migrate", settings=project_settings(database_url, UNUSED_TOSS_URL, directory))


def token(buyer: str) -> str:
    """A buyer's bearer token, as `toss-graphql token BUYER` issues it."""
    return _cli("token", buyer, settings={"AUTH_JWT_SECRET": JWT_SECRET}).strip()
