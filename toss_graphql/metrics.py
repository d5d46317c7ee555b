"""`GET /metrics`: Prometheus text. Most figures are read from the database, so every process
and instance reports the same; the rest are counted by each process (process_metrics.py).

Order counts by status and pending cancels are business figures: in production they are
served only to a metrics token (`toss-graphql token prometheus --metrics`, which nothing else
accepts), to a token holding the metrics scope, or to an admin. Prometheus sends it with
`authorization: {credentials_file: ...}` (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import process_metrics
from .auth import InvalidToken, MetricsOnlyToken, TokenVerifier, principal_from_header
from .db.stats import read_service_stats
from .domain.models import OrderStatus

Endpoint = Callable[[Request], Awaitable[Response]]


def metrics_endpoint(verifier: TokenVerifier | None, scope: str) -> Endpoint:
    """The endpoint; with a verifier (production), callers must show a metrics token or
    `scope`, or be admin."""
    if verifier is None:
        return metrics

    async def guarded_metrics(request: Request) -> Response:
        try:
            principal = principal_from_header(verifier, request.headers.get("authorization"))
        except MetricsOnlyToken:
            return await metrics(request)
        except InvalidToken as error:
            return _refused(401, f"a valid bearer token is required: {error}")
        if principal is None:
            return _refused(401, "a valid bearer token is required")
        if not principal.is_admin and scope not in principal.scopes:
            return _refused(403, f"the token does not hold the '{scope}' scope")
        return await metrics(request)

    return guarded_metrics


def _refused(status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def metrics(request: Request) -> Response:
    stats = await read_service_stats(request.app.state.engine)
    # A registry per scrape: the figures are read from the database, not accumulated here.
    registry = CollectorRegistry()
    orders = Gauge("toss_graphql_orders", "Orders by status.", ["status"], registry=registry)
    for status in OrderStatus:
        orders.labels(status.value).set(stats.orders_by_status.get(status.value, 0))
    Gauge(
        "toss_graphql_orders_needing_attention",
        "Orders reconciliation handed to an operator.",
        registry=registry,
    ).set(stats.orders_needing_attention)
    Gauge(
        "toss_graphql_cancel_requests_pending",
        "Cancels whose outcome at Toss is not settled yet.",
        registry=registry,
    ).set(stats.cancel_requests_pending)
    Gauge(
        "toss_graphql_webhooks_unprocessed",
        "Toss webhooks received and not processed yet.",
        registry=registry,
    ).set(stats.webhooks_unprocessed)
    now = datetime.now(UTC)
    Gauge(
        "toss_graphql_unknown_outcome_oldest_age_seconds",
        "How long the oldest confirm or cancel whose outcome at Toss is unknown has been open; "
        "0 when none is.",
        registry=registry,
    ).set(_age(stats.oldest_unknown_outcome, now))
    Gauge(
        "toss_graphql_webhooks_oldest_unprocessed_age_seconds",
        "How long the oldest webhook not processed yet has waited; 0 when none is.",
        registry=registry,
    ).set(_age(stats.oldest_unprocessed_webhook, now))
    return Response(
        generate_latest(registry) + process_metrics.exposition(), media_type=CONTENT_TYPE_LATEST
    )


def _age(since: datetime | None, now: datetime) -> float:
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())
