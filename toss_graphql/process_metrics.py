"""Figures only a process knows, counted where they happen: each attempt's answer from Toss,
and when a reconciler pass last ended. `/metrics` serves them beside the database's figures.

With several workers (`serve --workers N`) a scrape reaches one of them; `serve` then gives
every worker one PROMETHEUS_MULTIPROC_DIR, and prometheus_client's multiprocess mode adds up
all of them, so the answer does not depend on which worker was asked.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

TOSS_REQUESTS = Counter(
    "toss_graphql_toss_requests",
    "Attempts of calls to Toss, by path template and outcome: the status class "
    "(2xx, 4xx, 5xx) or no_answer (timeout, refused, reset).",
    ["method", "path", "outcome"],
)
RECONCILE_PASS_ENDED = Gauge(
    "toss_graphql_reconcile_last_pass_timestamp_seconds",
    "When a reconciler pass inside serve last ended, successful or not (Unix time).",
    multiprocess_mode="max",
)
RECONCILE_PASS_FAILED = Counter(
    "toss_graphql_reconcile_pass_failures",
    "Reconciler passes inside serve that failed as a whole (the database unreachable, say).",
)


def toss_answer(method: str, path: str, status: int | None) -> None:
    outcome = "no_answer" if status is None else f"{status // 100}xx"
    TOSS_REQUESTS.labels(method, path, outcome).inc()


def exposition() -> bytes:
    """This process's figures, or every worker's when they share a multiprocess directory."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
