"""The service's collaborators built from its settings, in one place: the app that `serve`
runs, the `reconcile` command, the tests and the benchmarks all get them from here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from .config import Settings
from .db.engine import create_database_engine
from .db.reads import order_reads
from .db.unit_of_work import UnitOfWorkFactory
from .domain.ports.gateway import Checkout
from .domain.reconcile import ReconcilePolicy
from .domain.services import Services
from .gateway.client import TossGateway, TossGatewayConfig, create_http_client
from .toss_keys import check_toss_keys

REAL_TOSS_URL = "https://api.tosspayments.com"


@dataclass(frozen=True, slots=True)
class Runtime:
    """What one process holds open while it serves: the database engine, and the domain's
    collaborators built on it and on one pooled HTTP client to Toss."""

    engine: AsyncEngine
    services: Services


@asynccontextmanager
async def service_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The runtime for the block; its engine and HTTP client are closed after it."""
    config = gateway_config(settings)
    engine = create_database_engine(
        settings.resolved_database_url(),
        pool_size=settings.database_pool_size,
        pgbouncer=settings.database_pgbouncer,
        sqlite_driver=settings.sqlite_driver,
    )
    try:
        async with create_http_client(config) as http_client, order_reads(engine) as reads:
            yield Runtime(
                engine,
                Services(
                    unit_of_work=UnitOfWorkFactory(engine),
                    reads=reads,
                    gateway=TossGateway(http_client, config),
                    checkouts=checkouts_taken(config),
                    lock_lease=lock_lease(config),
                ),
            )
    finally:
        await engine.dispose()


def gateway_config(settings: Settings) -> TossGatewayConfig:
    check_toss_keys(settings)
    if settings.uses_builtin_sandbox and settings.toss_api_url.rstrip("/") == REAL_TOSS_URL:
        raise RuntimeError(
            "no TOSS_SECRET_KEY is set, so the built-in sandbox is the gateway: set TOSS_API_URL "
            "to this server's URL plus /sandbox ('toss-graphql serve' does this for you)"
        )
    timeout = settings.toss_timeout_seconds
    secret_key, widget_secret_key = settings.gateway_secret_keys()
    return TossGatewayConfig(
        base_url=settings.toss_api_url,
        secret_key=secret_key,
        widget_secret_key=widget_secret_key,
        timeout=httpx.Timeout(timeout, connect=min(3.0, timeout)),
    )


def checkouts_taken(config: TossGatewayConfig) -> frozenset[Checkout]:
    """The checkouts whose payments can be confirmed: those whose secret key is configured."""
    keys = {Checkout.PAYMENT_WINDOW: config.secret_key, Checkout.WIDGET: config.widget_secret_key}
    return frozenset(checkout for checkout, key in keys.items() if key)


def lock_lease(config: TossGatewayConfig) -> timedelta:
    """Every attempt of one Toss call, each waiting its longest for a pooled connection, to
    connect, to send and to read, with the waits between attempts, fits inside the lease.
    A holder that overruns it all the same writes nothing: the lock is renewed before each
    call and checked in the transaction that writes (domain/order_lock.py)."""
    timeout = config.timeout
    per_attempt = sum(
        part or 0.0 for part in (timeout.pool, timeout.connect, timeout.write, timeout.read)
    )
    waits = sum(
        max(config.cancel_retry_spacing_seconds, config.backoff_seconds * 2**attempt)
        for attempt in range(config.max_attempts - 1)
    )
    return timedelta(seconds=per_attempt * config.max_attempts + waits + 5)


def reconcile_policy(settings: Settings) -> ReconcilePolicy:
    return ReconcilePolicy(
        min_age=timedelta(seconds=settings.reconcile_min_age_seconds),
        give_up_after=timedelta(seconds=settings.reconcile_give_up_after_seconds),
    )
