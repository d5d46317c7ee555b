"""Real server processes on loopback: the sandbox and the API, as a user would run them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from toss_graphql.config import SANDBOX_SECRET_KEY, Settings

# Generous: a loaded machine (the whole suite on two cores) can be slow to import and build
# the app; a slow start is no failure of what a test checks.
STARTUP_SECONDS = 60
# The service's own settings: a test server sees only the ones its test gives it.
SERVICE_SETTINGS = frozenset(name.upper() for name in Settings.model_fields)


@dataclass(frozen=True)
class ServerProcess:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    # Where `log()` starts reading: a server shared by several tests shows each its own part.
    log_offset: int = 0

    def log(self) -> str:
        with self.log_path.open("rb") as log_file:
            log_file.seek(self.log_offset)
            return log_file.read().decode(errors="replace")

    def from_here(self) -> ServerProcess:
        """The same process, its `log()` only what it writes from now on."""
        return replace(self, log_offset=self.log_path.stat().st_size)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not come up:\n{log_path.read_text(errors='replace')}")


@contextmanager
def run_cli(
    args: list[str], env: Mapping[str, str], ready_url: str, base_url: str, log_path: Path
) -> Iterator[ServerProcess]:
    """Runs `toss-graphql ARGS` until the context ends, output to `log_path`."""
    # Nor does a test server trace unless its test asks: the shell's OTEL_* stay out too.
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in SERVICE_SETTINGS and not k.startswith("OTEL_")
    }
    full_env = {**inherited, **env}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "toss_graphql.cli", *args],
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(ready_url, process, log_path)
            yield ServerProcess(base_url, process, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def start_sandbox(directory: Path, port: int) -> Iterator[ServerProcess]:
    url = f"http://127.0.0.1:{port}"
    env = {
        "SANDBOX_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'sandbox.db'}",
        "TOSS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "TOSS_GRAPHQL_VAR_DIR": str(directory),
    }
    with run_cli(
        ["sandbox", "--port", str(port)],
        env,
        f"{url}/admin/requests",
        url,
        directory / "sandbox.log",
    ) as server:
        yield server


@contextmanager
def newcomer_server(
    directory: Path, settings: Mapping[str, str] | None = None
) -> Iterator[ServerProcess]:
    """What a newcomer runs: `seed-demo`, then `serve` with no keys (the built-in sandbox,
    development tokens) and no settings but `settings`, its state in `directory`."""
    own = {"TOSS_GRAPHQL_VAR_DIR": str(directory / "var"), **(settings or {})}
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    env.update(own)
    subprocess.run(
        [sys.executable, "-m", "toss_graphql.cli", "seed-demo"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with run_cli(
        ["serve", "--port", str(port)],
        own,
        f"{url}/readyz",
        url,
        directory / "serve.log",
    ) as server:
        yield server


def printed(server: ServerProcess, label: str) -> str:
    """What `serve` printed after `label:` at start-up (a link, a token)."""
    return printed_line(server, label).split()[0]


def printed_line(server: ServerProcess, label: str) -> str:
    """The whole of what was printed after `label:` at start-up."""
    match = re.search(rf"^{label}:\s+(.+)$", server.log(), re.MULTILINE)
    if match is None:
        raise AssertionError(f"the server printed no {label!r}:\n{server.log()}")
    return match.group(1).strip()


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """`folder` served by `python -m http.server` on a free loopback port: a front end's
    static files on an origin of their own. Yields the site's URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder.parent / f"{folder.name}-http.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(port),
                "--bind",
                "127.0.0.1",
                "--directory",
                str(folder),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(f"{url}/", process, log_path)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=15)
