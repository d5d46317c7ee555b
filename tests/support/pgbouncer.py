"""Debian's PgBouncer (1.18) in transaction mode, in front of the test PostgreSQL, on a free
loopback port: installed by `make test`, started here for the tests that need it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.servers import free_port

STARTUP_SECONDS = 15


def _binary() -> str:
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/usr/bin")
    assert found, "pgbouncer is not installed: `make test` installs Debian's package"
    return found


@contextmanager
def pgbouncer_in_front_of(database_url: str) -> Iterator[str]:
    """`database_url` (PostgreSQL) reached through PgBouncer in transaction mode. Its files
    live in a directory of their own that PgBouncer's user can read (pytest's are private)."""
    directory = Path(tempfile.mkdtemp(prefix="toss-graphql-pgbouncer-"))
    try:
        with _running(directory, database_url) as url:
            yield url
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _running(directory: Path, database_url: str) -> Iterator[str]:
    upstream = make_url(database_url)
    port = free_port()
    users = directory / "users.txt"
    users.write_text(f'"{upstream.username}" ""\n', encoding="utf-8")
    ini = directory / "pgbouncer.ini"
    ini.write_text(
        f"""[databases]
* = host={upstream.host or "127.0.0.1"} port={upstream.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 40
ignore_startup_parameters = extra_float_digits
logfile = {directory / "pgbouncer.log"}
""",
        encoding="utf-8",
    )
    command = [_binary()]
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root; the files above must be readable by its user.
        command += ["-u", "postgres"]
        for path in (directory, users, ini):
            path.chmod(0o755 if path.is_dir() else 0o644)
        (directory / "pgbouncer.log").touch(mode=0o666)
        (directory / "pgbouncer.log").chmod(0o666)
    process = subprocess.Popen(
        [*command, str(ini)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _wait_for(port, process, directory)
        yield upstream.set(port=port).render_as_string(hide_password=False)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for(port: int, process: subprocess.Popen[bytes], directory: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (directory / "pgbouncer.log").read_text(errors="replace")
            raise AssertionError(f"pgbouncer exited with {process.returncode}:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"pgbouncer did not listen on {port} within {STARTUP_SECONDS} s")
