"""The Starlette application: GraphQL, health, and the built-in sandbox when no keys are set."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from toss_sandbox import Sandbox, SandboxConfig

from .auth import TokenVerifier
from .background import running_reconciler
from .config import Settings, load_settings
from .db.engine import create_database_engine, is_sqlite
from .db.migrate import is_at_head, upgrade_to_head
from .db.unit_of_work import UnitOfWorkFactory
from .domain.reconcile import ReconcilePolicy
from .domain.services import Services
from .domain.webhooks import WebhookProcessor
from .gateway.client import TossGateway, TossGatewayConfig, create_http_client
from .graphql_endpoint import GraphQLApp
from .metrics import metrics_endpoint
from .request_context import request_id
from .web import AddressRateLimiter, MutationRateLimiter, RequestRateLimiter, http_defences
from .webhook_endpoint import webhook_endpoint

log = logging.getLogger(__name__)

REAL_TOSS_URL = "https://api.tosspayments.com"


class SchemaBehindError(RuntimeError):
    pass


class RequestIdMiddleware:
    """Gives every request an id, echoed as X-Request-ID and carried by logs and audit rows."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current = secrets.token_hex(8)
        token = request_id.set(current)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", current.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    engine = request.app.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        migrated = await is_at_head(engine)
    except Exception as error:
        log.warning("readiness check failed", extra={"error": type(error).__name__})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not migrated:
        return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503)
    return JSONResponse({"status": "ready"})


def gateway_config(settings: Settings) -> TossGatewayConfig:
    if settings.uses_builtin_sandbox and settings.toss_api_url.rstrip("/") == REAL_TOSS_URL:
        raise RuntimeError(
            "no TOSS_SECRET_KEY is set, so the built-in sandbox is the gateway: set TOSS_API_URL "
            "to this server's URL plus /sandbox ('toss-graphql serve' does this for you)"
        )
    timeout = settings.toss_timeout_seconds
    return TossGatewayConfig(
        base_url=settings.toss_api_url,
        secret_key=settings.resolved_secret_key(),
        timeout=httpx.Timeout(timeout, connect=min(3.0, timeout)),
    )


def lock_lease(settings: Settings, config: TossGatewayConfig) -> timedelta:
    """Every attempt of one Toss call (connect and read timeouts), with its backoff and the
    one-second wait between two cancels, fits well inside the lease; the lock is renewed
    before each call and checked again before the books are written."""
    connect = min(3.0, settings.toss_timeout_seconds)
    per_call = (connect + settings.toss_timeout_seconds) * config.max_attempts
    return timedelta(seconds=per_call + 5)


def reconcile_policy(settings: Settings) -> ReconcilePolicy:
    return ReconcilePolicy(
        min_age=timedelta(seconds=settings.reconcile_min_age_seconds),
        give_up_after=timedelta(seconds=settings.reconcile_give_up_after_seconds),
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    if settings.app_env == "production" and settings.uses_builtin_sandbox:
        raise RuntimeError(
            "APP_ENV=production needs TOSS_SECRET_KEY: the sandbox is for development"
        )
    database_url = settings.resolved_database_url()
    toss_config = gateway_config(settings)
    sandbox = None
    if settings.uses_builtin_sandbox:
        sandbox = Sandbox(
            SandboxConfig(
                database_url=settings.resolved_sandbox_database_url(),
                secret_key=settings.resolved_secret_key(),
                # The built-in Toss sends its webhooks to this very service, as Toss would.
                webhook_url=settings.toss_api_url.removesuffix("/sandbox") + "/webhooks/toss",
            )
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = create_database_engine(database_url)
            stack.push_async_callback(engine.dispose)
            if is_sqlite(database_url):
                await upgrade_to_head(engine)
            elif not await is_at_head(engine):
                raise SchemaBehindError(
                    "the database schema is not at the latest migration: run 'toss-graphql migrate'"
                )
            if sandbox is not None:
                await sandbox.start()
                stack.push_async_callback(sandbox.close)
            http_client = create_http_client(toss_config)
            stack.push_async_callback(http_client.aclose)
            services = Services(
                unit_of_work=UnitOfWorkFactory(engine),
                gateway=TossGateway(http_client, toss_config),
                lock_lease=lock_lease(settings, toss_config),
            )
            app.state.engine = engine
            app.state.services = services
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
            yield

    production = settings.app_env == "production"
    tokens = TokenVerifier.from_settings(settings)
    routes: list[BaseRoute] = [
        Route(
            "/graphql",
            GraphQLApp(
                tokens,
                MutationRateLimiter(settings.rate_limit_per_buyer, settings.rate_limit_per_address),
                RequestRateLimiter(
                    settings.rate_limit_requests_per_address,
                    settings.rate_limit_anonymous_per_address,
                ),
                production=production,
            ),
            methods=["GET", "POST"],
        ),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint(tokens if production else None, settings.metrics_scope)),
        Route(
            "/webhooks/toss",
            webhook_endpoint(
                AddressRateLimiter(settings.webhook_rate_limit_per_address, "webhooks")
            ),
            methods=["POST"],
        ),
    ]
    if sandbox is not None and not production:
        routes.append(Mount("/sandbox", app=sandbox.app))
    # Outermost first: every answer (a 413, a CORS preflight) carries a request id and the
    # security headers; the body limit sits just before routing, so nothing reads past it.
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestIdMiddleware),
            *http_defences(
                production=production,
                cors_origins=settings.cors_origin_list,
                max_request_bytes=settings.max_request_bytes,
            ),
        ],
    )


def create_app_from_env() -> Any:
    """Factory for uvicorn workers: each process builds its own app, engine and HTTP client."""
    from .logging_setup import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
