"""`toss-sandbox` (and `python -m toss_sandbox`): the Toss emulator alone."""

from __future__ import annotations

import argparse
import os

from toss_sandbox.config import PUBLIC_TEST_SECRET_KEY as _DEFAULT_SECRET_KEY
from toss_sandbox.config import PUBLIC_TEST_WIDGET_SECRET_KEY as _DEFAULT_WIDGET_SECRET_KEY
from toss_sandbox.standalone import run_standalone

_DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/sandbox.db"


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Serve the Toss Payments sandbox: Toss's /v1 API, its hosted checkout window and "
            "the sandbox's own controls under /admin."
        ),
        epilog=(
            f"The secret key it accepts is TOSS_SECRET_KEY from the environment, else "
            f"{_DEFAULT_SECRET_KEY} (send it as Basic auth, '{_DEFAULT_SECRET_KEY}:'); its "
            "payment widget's, TOSS_WIDGET_SECRET_KEY, else "
            f"{_DEFAULT_WIDGET_SECRET_KEY}. Its checkout window accepts any test_ck_ client "
            "key (test_ck_sandbox) and any test_gck_ widget client key (test_gck_sandbox)."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8100, help="port to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SANDBOX_DATABASE_URL", _DEFAULT_DATABASE_URL),
        help=(
            "SQLAlchemy async URL of the sandbox's state, SQLite or PostgreSQL "
            f"(default: env SANDBOX_DATABASE_URL if set, else {_DEFAULT_DATABASE_URL})"
        ),
    )
    parser.add_argument(
        "--webhook-url",
        default=None,
        help="where webhooks go until PUT /admin/webhook says otherwise (default: nowhere)",
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "toss-sandbox") -> None:
    """The `toss-sandbox` console script."""
    arguments = _parser(prog).parse_args(argv)
    # The key is read from the environment only, so it never shows in a process listing.
    secret_key = os.environ.get("TOSS_SECRET_KEY") or _DEFAULT_SECRET_KEY
    widget_secret_key = os.environ.get("TOSS_WIDGET_SECRET_KEY") or _DEFAULT_WIDGET_SECRET_KEY
    run_standalone(
        arguments.host,
        arguments.port,
        arguments.database_url,
        secret_key,
        webhook_url=arguments.webhook_url,
        widget_secret_key=widget_secret_key,
    )


if __name__ == "__main__":
    main(prog="python -m toss_sandbox")
