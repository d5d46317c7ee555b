from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import JWT_SECRET
from tests.support.servers import ServerProcess, free_port, run_cli
from toss_graphql.config import SANDBOX_SECRET_KEY


@contextmanager
def serve_api(
    directory: Path,
    database_url: str,
    toss_api_url: str,
    name: str = "api",
    *,
    workers: int = 1,
    port: int | None = None,
    settings: Mapping[str, str] | None = None,
) -> Iterator[ServerProcess]:
    """`toss-graphql serve` as its own process, against a Toss at `toss_api_url`.

    The background reconciler is off unless `settings` turns it on, so tests decide when
    settling happens.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": database_url,
        "TOSS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "TOSS_API_URL": toss_api_url,
        "AUTH_JWT_SECRET": JWT_SECRET,
        "TOSS_GRAPHQL_VAR_DIR": str(directory),
        "RECONCILE_INTERVAL_SECONDS": "0",
        # Bursts of one buyer from one address are what these tests are made of.
        "RATE_LIMIT_PER_BUYER": "10000",
        "RATE_LIMIT_PER_ADDRESS": "10000",
        "RATE_LIMIT_REQUESTS_PER_ADDRESS": "100000",
        "RATE_LIMIT_ANONYMOUS_PER_ADDRESS": "10000",
        **(settings or {}),
    }
    with run_cli(
        ["serve", "--port", str(port), "--workers", str(workers)],
        env,
        f"{url}/readyz",
        url,
        directory / f"{name}.log",
    ) as server:
        yield server
