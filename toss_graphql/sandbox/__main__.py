"""`python -m toss_graphql.sandbox`: the Toss emulator alone."""

from __future__ import annotations

import argparse
import os

from toss_graphql.sandbox.standalone import run_standalone

_DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/sandbox.db"
# A well-known test key, not a secret: the sandbox moves no money.
_DEFAULT_SECRET_KEY = "test_sk_sandbox"  # noqa: S105


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m toss_graphql.sandbox", description="Serve the Toss Payments sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SANDBOX_DATABASE_URL", _DEFAULT_DATABASE_URL),
        help="SQLAlchemy async URL of the sandbox's state (env SANDBOX_DATABASE_URL)",
    )
    parser.add_argument(
        "--webhook-url",
        default=None,
        help="where webhooks go until PUT /admin/webhook says otherwise (default: nowhere)",
    )
    arguments = parser.parse_args(argv)
    # The key is read from the environment only, so it never shows in a process listing.
    secret_key = os.environ.get("TOSS_SECRET_KEY") or _DEFAULT_SECRET_KEY
    run_standalone(
        arguments.host,
        arguments.port,
        arguments.database_url,
        secret_key,
        webhook_url=arguments.webhook_url,
    )


if __name__ == "__main__":
    main()
