"""The Starlette application: GraphQL, health, and the built-in sandbox when no keys are set."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from toss_sandbox import Sandbox, SandboxConfig

from . import telemetry
from .auth import TokenVerifier
from .background import running_reconciler
from .composition import gateway_config, reconcile_policy, service_runtime
from .config import Settings, load_settings
from .db.engine import is_sqlite
from .db.health import answers as database_answers
from .db.migrate import is_at_head, upgrade_to_head
from .db.order_changes import order_change_feed
from .db.statement_tracing import traced_statements
from .demo_storefront import storefront_config, storefront_policy
from .domain.webhooks import WebhookProcessor
from .graphql_endpoint import GraphQLApp, SubscriptionRules, TrustedDocumentsSource
from .listen_url import listen_url_problem
from .metrics import metrics_endpoint
from .request_context import request_id
from .schema.schema import ExecutionChoices
from .web import AddressRateLimiter, MutationRateLimiter, RequestRateLimiter, http_defences
from .web.going_away import GoingAway
from .web.graphiql import ASSETS_PATH, graphiql_assets
from .web.home import home
from .web.shared_rate_limits import RedisWindows, window_store
from .web.storefront import DEMO_PATH, storefront_app
from .web.tracing import tracing_middleware
from .webhook_endpoint import webhook_endpoint

log = logging.getLogger(__name__)


class SchemaBehindError(RuntimeError):
    pass


SHUTTING_DOWN = JSONResponse(
    {
        "errors": [
            {
                "message": "the server is shutting down: retry the request",
                "extensions": {"code": "SERVICE_UNAVAILABLE"},
            }
        ]
    },
    status_code=503,
    headers={"Retry-After": "1"},
)


class RequestIdMiddleware:
    """Gives every request an id, echoed as X-Request-ID and carried by logs and audit rows;
    and every WebSocket connection one, for its log lines."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # The connection's id, carried by the log lines of every operation sent on it.
            token = request_id.set(secrets.token_hex(8))
            try:
                await self.app(scope, receive, send)
            finally:
                request_id.reset(token)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current = secrets.token_hex(8)
        token = request_id.set(current)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", current.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # uvicorn cancels the requests still running when SHUTDOWN_GRACE_SECONDS is over.
            # The client is told to retry elsewhere (503), not "internal error" (500); a
            # confirm cut here is CONFIRMING, and the reconciler settles it.
            if started:
                raise
            log.info("request cut short by shutdown")
            await SHUTTING_DOWN(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    engine = request.app.state.engine
    try:
        await database_answers(engine)
        migrated = await is_at_head(engine)
    except Exception as error:
        log.warning("readiness check failed", extra={"error": type(error).__name__})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not migrated:
        return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503)
    # Subscriptions on: an instance whose feed does not hear the database would serve
    # subscriptions that never move (docs/realtime.md).
    order_changes = getattr(request.app.state, "order_changes", None)
    if order_changes is not None and not order_changes.listening:
        return JSONResponse(
            {"status": "unavailable", "order_changes": "not listening"}, status_code=503
        )
    return JSONResponse({"status": "ready"})


def create_app(
    settings: Settings | None = None, tracer_provider: TracerProvider | None = None
) -> Starlette:
    """The app; traced to `tracer_provider`, or to the one the OTEL_* environment describes
    (telemetry.py), or not at all."""
    settings = settings or load_settings()
    owns_tracing = tracer_provider is None
    tracing = telemetry.provider_from_environment() if owns_tracing else tracer_provider
    if settings.app_env == "production" and settings.uses_builtin_sandbox:
        raise RuntimeError(
            "APP_ENV=production needs TOSS_SECRET_KEY or TOSS_WIDGET_SECRET_KEY: the sandbox "
            "is for development"
        )
    if (listen_problem := listen_url_problem(settings)) is not None:
        raise RuntimeError(listen_problem)
    database_url = settings.resolved_database_url()
    gateway_config(settings)  # refuse a configuration with no gateway before serving anything
    sandbox = None
    if settings.uses_builtin_sandbox:
        sandbox = Sandbox(
            SandboxConfig(
                database_url=settings.resolved_sandbox_database_url(),
                secret_key=settings.resolved_secret_key(),
                widget_secret_key=settings.resolved_widget_secret_key(),
                # The built-in Toss sends its webhooks to this very service, as Toss would.
                webhook_url=settings.toss_api_url.removesuffix("/sandbox") + "/webhooks/toss",
            )
        )

    # Multipart subscriptions end when the process begins to stop, as WebSockets do.
    going_away = GoingAway()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.enter_context(going_away.on_stop_signals())
            runtime = await stack.enter_async_context(service_runtime(settings))
            engine, services = runtime.engine, runtime.services
            if is_sqlite(database_url):
                await upgrade_to_head(engine)
            elif not await is_at_head(engine):
                raise SchemaBehindError(
                    "the database schema is not at the latest migration: run 'toss-graphql migrate'"
                )
            if sandbox is not None:
                await sandbox.start()
                stack.push_async_callback(sandbox.close)
            if tracing is not None:
                stack.enter_context(telemetry.tracing_to(tracing, owns=owns_tracing))
                stack.enter_context(traced_statements(engine, tracing))
            app.state.engine = engine
            app.state.services = services
            if settings.subscriptions_enabled:
                app.state.order_changes = await stack.enter_async_context(
                    order_change_feed(settings.resolved_listen_url())
                )
            webhooks = WebhookProcessor(services)
            app.state.webhook_processor = webhooks
            await stack.enter_async_context(
                running_reconciler(
                    services,
                    webhooks,
                    reconcile_policy(settings),
                    settings.reconcile_interval_seconds,
                )
            )
            if isinstance(limits, RedisWindows):
                stack.push_async_callback(limits.close)
            # What start-up built lives as long as the process: modules, the schema, the
            # engine. Frozen, a full collection no longer walks it: each used to take up to
            # 70 ms and stall every request in flight (docs/benchmarks.md).
            gc.freeze()
            yield

    production = settings.app_env == "production"
    tokens = TokenVerifier.from_settings(settings)
    # One store for every limit of the process: its memory, or Redis shared by the fleet.
    limits = window_store(settings.rate_limit_storage_url)
    ipv6_prefix = settings.rate_limit_ipv6_prefix
    graphql = GraphQLApp(
        tokens,
        MutationRateLimiter(
            settings.rate_limit_per_buyer,
            settings.rate_limit_per_address,
            store=limits,
            ipv6_prefix=ipv6_prefix,
        ),
        RequestRateLimiter(
            settings.rate_limit_requests_per_address,
            settings.rate_limit_anonymous_per_address,
            store=limits,
            ipv6_prefix=ipv6_prefix,
        ),
        production=production,
        subscriptions=subscription_rules(settings),
        trusted_documents=trusted_documents_source(settings),
        going_away=going_away,
        choices=ExecutionChoices(
            fast_path=settings.graphql_fast_path,
            limit_rules=settings.graphql_limit_rules,
            extensions=settings.graphql_extensions,
        ),
    )
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        # Subscriptions over graphql-transport-ws; refused before the handshake when off.
        WebSocketRoute("/graphql", graphql),
        Route("/", home(production=production, with_sandbox=sandbox is not None)),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint(tokens if production else None, settings.metrics_scope)),
        Route(
            "/webhooks/toss",
            webhook_endpoint(
                AddressRateLimiter(
                    settings.webhook_rate_limit_per_address,
                    "webhooks",
                    store=limits,
                    ipv6_prefix=ipv6_prefix,
                )
            ),
            methods=["POST"],
        ),
    ]
    if not production:
        routes.append(Mount(ASSETS_PATH, app=graphiql_assets()))
        routes.append(
            Mount(
                DEMO_PATH,
                app=storefront_app(
                    partial(storefront_config, settings), storefront_policy(settings)
                ),
            )
        )
    if sandbox is not None and not production:
        routes.append(Mount("/sandbox", app=sandbox.app))
    # Outermost first: every answer (a 413, a CORS preflight) carries a request id and the
    # security headers; the body limit sits just before routing, so nothing reads past it.
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            # Outside the request id, so that every log line of a request has its trace id.
            *([tracing_middleware(tracing)] if tracing is not None else []),
            Middleware(RequestIdMiddleware),
            *http_defences(
                production=production,
                cors_origins=settings.cors_origin_list,
                max_request_bytes=settings.max_request_bytes,
            ),
        ],
    )


def trusted_documents_source(settings: Settings) -> TrustedDocumentsSource | None:
    if settings.trusted_documents_file is None:
        if settings.trusted_documents_only:
            raise RuntimeError("TRUSTED_DOCUMENTS_ONLY=true needs TRUSTED_DOCUMENTS_FILE")
        return None
    return TrustedDocumentsSource(settings.trusted_documents_file, settings.trusted_documents_only)


def subscription_rules(settings: Settings) -> SubscriptionRules | None:
    if not settings.subscriptions_enabled:
        return None
    return SubscriptionRules(
        per_connection=settings.subscriptions_per_connection,
        per_subject=settings.subscriptions_per_subject,
        init_timeout_seconds=settings.subscription_init_timeout_seconds,
        keepalive_seconds=settings.subscription_keepalive_seconds,
        send_timeout_seconds=settings.subscription_send_timeout_seconds,
        connections_per_subject=settings.subscription_connections_per_subject,
        connections_per_address=settings.subscription_connections_per_address,
        ipv6_prefix=settings.rate_limit_ipv6_prefix,
        # A page may open a WebSocket from the origins it may call the API from (CORS).
        allowed_origins=tuple(settings.cors_origin_list),
    )


def create_app_from_env() -> Any:
    """Factory for uvicorn workers: each process builds its own app, engine and HTTP client."""
    from .logging_setup import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
