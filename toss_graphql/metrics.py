"""`GET /metrics`: Prometheus text, from figures every process agrees on."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from .db.stats import read_service_stats
from .domain.models import OrderStatus


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
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
