"""The `toss-graphql` command."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from . import telemetry
from .auth import DEVELOPMENT_ALGORITHM, issue_metrics_token, issue_token
from .config import Settings, load_settings
from .domain.models import Role
from .listen_url import listen_url_problem
from .process_metrics import MULTIPROCESS_DIR
from .settings_errors import misspelled_settings, validation_messages
from .start_checks import (
    DatabaseState,
    StartRefused,
    check_port_free,
    database_line,
    ready_database,
    unreachable,
)
from .toss_keys import TossKeyError, check_toss_keys

# The query the printed GraphiQL link opens with: the demo buyer's newest orders.
FIRST_QUERY = """query MyOrders {
  orders(first: 5) {
    edges { node { orderId orderName amount status createdAt } }
  }
}"""


# Toss's browser SDK (docs/sandbox.md), for the banner of a server that talks to Toss itself.
TOSS_BROWSER_SDK = "https://js.tosspayments.com/v2/standard"


def _exit_after_shutdown(_signal: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toss-graphql", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    defaults = argparse.ArgumentDefaultsHelpFormatter
    serve = commands.add_parser("serve", help="run the GraphQL API", formatter_class=defaults)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes, each with its own pool"
    )

    sandbox = commands.add_parser(
        "sandbox", help="run the Toss emulator alone", formatter_class=defaults
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--port", type=int, default=8100, help="port to listen on")

    documents = commands.add_parser(
        "trusted-documents",
        help="build a trusted documents manifest (TRUSTED_DOCUMENTS_FILE) from .graphql files",
        formatter_class=defaults,
    )
    documents.add_argument(
        "folder",
        type=Path,
        help="a folder of .graphql files, one operation (and its fragments) each",
    )
    documents.add_argument(
        "--out", type=Path, default=None, help="write the manifest here instead of standard output"
    )

    reconcile = commands.add_parser(
        "reconcile",
        help="settle orders whose outcome at Toss is not known here",
        formatter_class=defaults,
    )
    reconcile.add_argument(
        "--min-age",
        type=float,
        default=None,
        help="seconds an open order must be left alone first (None: RECONCILE_MIN_AGE_SECONDS)",
    )

    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("export-schema", help="print the GraphQL SDL")
    commands.add_parser("seed-demo", help="add the demo products")

    token = commands.add_parser(
        "token", help="print a bearer token for BUYER", formatter_class=defaults
    )
    token.add_argument("buyer", help="the token's subject (`sub`): the buyer id")
    role = token.add_mutually_exclusive_group()
    role.add_argument("--admin", action="store_true", help="an admin token")
    role.add_argument("--service", action="store_true", help="a service token")
    role.add_argument(
        "--metrics",
        action="store_true",
        help="a scrape credential: /metrics accepts it, the GraphQL API refuses it",
    )
    token.add_argument("--ttl", type=int, default=24 * 3600, help="lifetime in seconds")
    token.add_argument(
        "--scope",
        action="append",
        default=[],
        help="an OAuth scope the token holds, e.g. 'metrics' (repeatable)",
    )
    return parser


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    from uvicorn.config import LOGGING_CONFIG

    # Before the banner: a port taken or a database that cannot be used is one line, and no
    # tokens are printed for a server that never runs.
    check_port_free(host, port)
    database = asyncio.run(ready_database(settings))
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    base = f"http://{local_host}:{port}"
    if settings.uses_builtin_sandbox:
        # The API reaches its built-in sandbox over loopback HTTP, as it would reach Toss.
        # uvicorn builds each worker's app from an import string in a fresh process, so the
        # environment is the one channel to it; a TOSS_API_URL the operator set still wins.
        os.environ.setdefault("TOSS_API_URL", f"{base}/sandbox")
    development = settings.app_env == "development"
    demo_tokens = development and settings.auth_jwt_algorithm == DEVELOPMENT_ALGORITHM
    secret = settings.resolved_jwt_secret() if demo_tokens else ""
    buyer_token = issue_token(secret, "demo-buyer") if demo_tokens else ""
    lines = _data_lines(settings, database, generated_secret=demo_tokens)
    if demo_tokens:
        # One click to a first query: the demo buyer's header already in GraphiQL's editor.
        # In the fragment: the browser keeps it (no access log sees the token), and a
        # `?query=` would be a GET query for the API, not a page.
        header = json.dumps({"Authorization": f"Bearer {buyer_token}"})
        first = {"headers": header, "query": FIRST_QUERY}
        lines.append(f"GraphiQL:           {base}/graphql#{urlencode(first)}")
    elif development:
        lines.append(f"GraphiQL:           {base}/graphql")
    if exporters := telemetry.exporter_names():
        lines.append(f"Tracing:            OpenTelemetry, spans sent to {', '.join(exporters)}")
    if settings.subscriptions_enabled:
        lines.append(f"Subscriptions:      ws://{local_host}:{port}/graphql (graphql-transport-ws)")
    if development:
        lines.append(f"Storefront:         {base}/demo/")
    if settings.uses_builtin_sandbox:
        lines.append(f"Toss:               built-in sandbox at {base}/sandbox (no keys needed)")
        lines.append(
            f"Payment widget:     {base}/sandbox/v2/standard, widgets() with the client key "
            f"{settings.resolved_widget_client_key()}"
        )
        query = urlencode(
            {
                "clientKey": settings.resolved_client_key(),
                "orderId": "<orderId>",
                "orderName": "<orderName>",
                "amount": "<amount>",
                "successUrl": "<your success page>",
                "failUrl": "<your fail page>",
            }
        )
        lines.append(f"Checkout:           {base}/sandbox/checkout?{query}")
    else:
        lines.append(f"Toss:               {settings.toss_api_url}")
        if settings.toss_widget_secret_key:
            widget_key = settings.toss_widget_client_key or "TOSS_WIDGET_CLIENT_KEY (not set)"
            lines.append(
                f"Payment widget:     {TOSS_BROWSER_SDK}, widgets() with the client key "
                f"{widget_key}"
            )
        if settings.toss_secret_key:
            client_key = settings.toss_client_key or "TOSS_CLIENT_KEY (not set)"
            lines.append(
                f"Checkout:           Toss's payment window, opened by {TOSS_BROWSER_SDK} "
                f"with the client key {client_key}"
            )
    if demo_tokens:
        # Development only: a production log must never hold a token that acts on orders.
        lines.append(f"Demo buyer token:   {buyer_token}")
        lines.append(f"Admin token:        {issue_token(secret, 'demo-admin', Role.ADMIN)}")
        lines.append('Send it as the header {"Authorization": "Bearer <token>"}.')
    else:
        source = (
            "signed with AUTH_JWT_SECRET"
            if settings.auth_jwt_algorithm == DEVELOPMENT_ALGORITHM
            else "from your identity provider"
        )
        lines.append(f"Tokens:             {settings.auth_jwt_algorithm}, {source}")
    json_logs = settings.log_format == "json"
    if json_logs:
        # A log shipper reads one JSON object per line, the banner and uvicorn's own
        # messages included: uvicorn's loggers then pass theirs to ours.
        from .logging_setup import configure_logging

        configure_logging(settings.log_level, "json")
        for line in lines:
            logging.getLogger(__name__).info(line)
    else:
        print("\n".join(lines), flush=True)
    # uvicorn shuts down gracefully on SIGTERM, restores the handler it found, and raises the
    # signal again: this one, so a rolling deploy's stop ends with 0, not "killed by SIGTERM".
    signal.signal(signal.SIGTERM, _exit_after_shutdown)
    shared_metrics = None
    if workers > 1 and not os.environ.get(MULTIPROCESS_DIR):
        # One directory for the workers' counters, so a scrape that reaches any of them
        # answers for all (process_metrics.py); started empty, removed at the end.
        shared_metrics = tempfile.mkdtemp(prefix="toss-graphql-metrics-")
        os.environ[MULTIPROCESS_DIR] = shared_metrics
    try:
        _run_uvicorn(
            settings, host, port, workers, log_config=None if json_logs else LOGGING_CONFIG
        )
    finally:
        if shared_metrics is not None:
            shutil.rmtree(shared_metrics, ignore_errors=True)


def _data_lines(settings: Settings, database: DatabaseState, generated_secret: bool) -> list[str]:
    """Where the data lives and which modes are on: `serve` from another directory finds
    another var/, with an empty catalog and another token secret, and must say so."""
    lines = [f"Database:           {database_line(settings)}"]
    if generated_secret and not settings.auth_jwt_secret:
        secret_file = (settings.var_dir / "jwt-secret").resolve()
        lines.append(f"Token secret:       {secret_file} (generated; TOSS_GRAPHQL_VAR_DIR)")
    if database.active_products == 0:
        # seed-demo is for development only; production's catalog comes from its operator.
        development = settings.app_env == "development"
        hint = ": 'toss-graphql seed-demo' adds the demo products" if development else ""
        lines.append(f"Catalog:            empty{hint}")
    modes = {
        "trusted documents only": settings.trusted_documents_only,
        "subscriptions": settings.subscriptions_enabled,
        "tracing": bool(telemetry.exporter_names()),
    }
    described = ", ".join(f"{mode} {'on' if on else 'off'}" for mode, on in modes.items())
    lines.append(f"Modes:              {described}")
    return lines


def _run_uvicorn(
    settings: Settings, host: str, port: int, workers: int, log_config: dict[str, Any] | None
) -> None:
    import uvicorn

    uvicorn.run(
        "toss_graphql.app:create_app_from_env",
        factory=True,
        # In-flight requests get this long to finish; a confirm cut short stays CONFIRMING
        # for the reconciler (docs/operations.md).
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
        log_config=log_config,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # Only the proxies named in FORWARDED_ALLOW_IPS may say who the client is; uvicorn
        # would otherwise believe X-Forwarded-For from 127.0.0.1, and any local caller could
        # pick the address its rate limit is counted on.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        # A WebSocket message is held to the size of a request body (16 MiB otherwise), and
        # WebSocket pings find a peer gone silent (docs/realtime.md).
        ws_max_size=settings.max_request_bytes,
        ws_ping_interval=settings.subscription_keepalive_seconds,
        ws_ping_timeout=settings.subscription_keepalive_seconds,
    )


async def _migrate(settings: Settings) -> None:
    from .db.engine import create_database_engine
    from .db.migrate import upgrade_to_head

    engine = create_database_engine(
        settings.resolved_database_url(), pgbouncer=settings.database_pgbouncer
    )
    try:
        await upgrade_to_head(engine)
    except (DBAPIError, OSError, TimeoutError) as error:
        raise unreachable(settings, error) from None
    finally:
        await engine.dispose()


async def _reconcile(settings: Settings, min_age: float | None) -> int:
    from .background import reconcile_pass, webhooks_pass
    from .composition import reconcile_policy, service_runtime
    from .db.statement_tracing import traced_statements
    from .domain.webhooks import process_received_webhooks
    from .logging_setup import configure_logging

    # An order that fails is logged with its id; without this only the bare message would show.
    configure_logging(settings.log_level, settings.log_format)
    policy = reconcile_policy(settings)
    if min_age is not None:
        policy = dataclasses.replace(policy, min_age=timedelta(seconds=min_age))
    tracing = telemetry.provider_from_environment()
    with ExitStack() as traced:
        if tracing is not None:
            traced.enter_context(telemetry.tracing_to(tracing, owns=True))
        async with service_runtime(settings) as runtime:
            if tracing is not None:
                traced.enter_context(traced_statements(runtime.engine, tracing))
            webhooks = await webhooks_pass(lambda: process_received_webhooks(runtime.services))
            print(f"webhooks processed: {webhooks}", flush=True)
            report = await reconcile_pass(
                runtime.services,
                policy,
                lambda order_id, outcome: print(f"{order_id}: {outcome}", flush=True),
            )
    print(report.summary(), flush=True)
    # Non-zero whenever an order is still open for a reason a person may have to look into.
    return 1 if report.failed or report.gave_up or report.unreachable else 0


def _seed_demo_here(settings: Settings) -> None:
    if settings.app_env == "production":
        # The demo catalog would bring retired products back, at the demo's prices.
        raise StartRefused(
            "seed-demo adds the demo catalog for development: it refuses to run with "
            "APP_ENV=production"
        )
    # Reachable and migrated first, so a missing `migrate` is one line, not a traceback.
    asyncio.run(ready_database(settings))
    asyncio.run(_seed_demo(settings))


async def _seed_demo(settings: Settings) -> None:
    from .db.engine import create_database_engine
    from .db.unit_of_work import UnitOfWorkFactory
    from .demo import DEMO_PRODUCTS

    url = settings.resolved_database_url()
    engine = create_database_engine(url, pgbouncer=settings.database_pgbouncer)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            for product in DEMO_PRODUCTS:
                await uow.products.upsert(product)
    finally:
        await engine.dispose()
    for product in DEMO_PRODUCTS:
        print(f"{product.sku:<12} {product.price:>7} KRW  {product.name}")


def _trusted_documents(folder: Path, out: Path | None) -> int:
    from .schema.schema import build_schema
    from .schema.trusted_documents import TrustedDocuments, TrustedDocumentsError, manifest_from

    files = sorted(folder.rglob("*.graphql"))
    if not files:
        print(f"no .graphql files in {folder}", file=sys.stderr)
        return 2
    manifest = manifest_from(path.read_text(encoding="utf-8") for path in files)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    schema = build_schema()._schema
    try:
        # The same checks as at start-up, so a manifest that is written also loads.
        TrustedDocuments.check(manifest, schema)
    except TrustedDocumentsError as error:
        print(error, file=sys.stderr)
        return 2
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        print(f"{len(manifest)} trusted documents written to {out}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:
        # One line per bad setting, naming its variable: no traceback of internal fields.
        for line in validation_messages(error):
            print(line, file=sys.stderr)
        return 2
    if _refuses_misspelled_settings(settings):
        return 2
    try:
        return _run(args, settings)
    except StartRefused as refused:
        print(refused, file=sys.stderr)
        return 2


def _refuses_misspelled_settings(settings: Settings) -> bool:
    """Names each variable that looks like a setting and is not one: a warning in
    development, a refusal in production, where a misspelt DATABASE_URL would otherwise
    start on an empty database."""
    production = settings.app_env == "production"
    found = misspelled_settings(os.environ)
    for given, meant in found:
        if production:
            print(
                f"{given} is not a setting: did you mean {meant}? (APP_ENV=production starts "
                "with no variable that resembles a setting's name)",
                file=sys.stderr,
            )
        else:
            print(
                f"warning: {given} is not a setting and is ignored: did you mean {meant}?",
                file=sys.stderr,
            )
    return production and bool(found)


def _require_database_url(settings: Settings) -> None:
    try:
        settings.resolved_database_url()
    except RuntimeError as error:
        raise StartRefused(str(error)) from None


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("serve", "reconcile", "migrate", "seed-demo"):
        _require_database_url(settings)
    if args.command in ("serve", "reconcile"):
        try:
            telemetry.exporter_names()
            check_toss_keys(settings)
        except (telemetry.TracingConfigError, TossKeyError) as error:
            print(error, file=sys.stderr)
            return 2
    if args.command == "serve" and (problem := listen_url_problem(settings)) is not None:
        print(problem, file=sys.stderr)
        return 2
    if args.command == "serve":
        _serve(settings, args.host, args.port, args.workers)
    elif args.command == "sandbox":
        from toss_sandbox import run_standalone

        run_standalone(
            host=args.host,
            port=args.port,
            database_url=settings.resolved_sandbox_database_url(),
            secret_key=settings.resolved_secret_key(),
            widget_secret_key=settings.resolved_widget_secret_key(),
        )
    elif args.command == "reconcile":
        asyncio.run(ready_database(settings))
        return asyncio.run(_reconcile(settings, args.min_age))
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("database is at the latest migration")
    elif args.command == "export-schema":
        from .schema.schema import build_schema

        sys.stdout.write(build_schema().as_str() + "\n")
    elif args.command == "seed-demo":
        _seed_demo_here(settings)
    elif args.command == "trusted-documents":
        return _trusted_documents(args.folder, args.out)
    elif args.command == "token":
        return _token(args, settings)
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    if settings.auth_jwt_algorithm != DEVELOPMENT_ALGORITHM:
        print(
            f"AUTH_JWT_ALGORITHM is {settings.auth_jwt_algorithm}: tokens come from your "
            "identity provider, not from this command",
            file=sys.stderr,
        )
        return 2
    if args.metrics and args.scope:
        raise StartRefused("--metrics takes no --scope: the token reads /metrics and nothing else")
    if settings.metrics_scope in args.scope:
        # Such a token could also create orders at any price: scrape with a metrics token.
        raise StartRefused(
            f"--scope {settings.metrics_scope}: a scrape credential is issued with --metrics, "
            f"e.g. 'toss-graphql token {args.buyer} --metrics', which can do nothing else"
        )
    try:
        secret = settings.resolved_jwt_secret()
    except RuntimeError as error:
        raise StartRefused(str(error)) from None
    ttl = timedelta(seconds=args.ttl)
    if args.metrics:
        print(issue_metrics_token(secret, args.buyer, ttl))
        return 0
    role = Role.ADMIN if args.admin else Role.SERVICE if args.service else Role.BUYER
    print(issue_token(secret, args.buyer, role, ttl, scopes=tuple(args.scope)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
