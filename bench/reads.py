"""The read paths: `order`, `orders`, and `order` on 2 workers against 1.

The project and its floor get the same request from the same wrk script, differing only in
the path (/graphql or the floor's own), in alternating rounds: round k runs the servers in
one order, round k+1 in the other, so neither always runs on a warmer or cooler machine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from . import servers
from .context import Bench, Target, in_round_order
from .load import Sample, lua_script, run_wrk
from .report import Comparison, WorkersComparison

ORDER_QUERY = (
    "query Order($orderId: ID!) { order(orderId: $orderId) { orderId buyer orderName amount "
    "status createdAt payment { paymentKey method totalAmount balanceAmount approvedAt } } }"
)
ORDERS_QUERY = (
    "query Orders { orders(first: 20) { edges { node { orderId orderName amount status "
    "createdAt } } pageInfo { hasNextPage endCursor } } }"
)
WARM_UP_SECONDS = 1


def order_body(order_id: str) -> str:
    return json.dumps({"query": ORDER_QUERY, "variables": {"orderId": order_id}})


def orders_body() -> str:
    return json.dumps({"query": ORDERS_QUERY, "variables": {}})


def require_same_answer(bench: Bench, targets: Sequence[Target], body: str) -> None:
    """Refuse to time servers that answer differently: the floor must do the same job."""
    answers: list[Any] = []
    for target in targets:
        response = httpx.post(
            target.url,
            content=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {bench.token}"},
            timeout=30,
        )
        response.raise_for_status()
        answers.append(response.json())
    first = answers[0]
    if "errors" in first or not all((first.get("data") or {}).values()):
        raise RuntimeError(f"{targets[0].label} answered with errors or nothing: {first}")
    for target, answer in zip(targets[1:], answers[1:], strict=True):
        if answer != first:
            raise RuntimeError(
                f"{target.label} answers differently from {targets[0].label}:\n{answer}\n{first}"
            )


def sample_rounds(
    bench: Bench, name: str, targets: Sequence[Target], body: str
) -> dict[str, list[Sample]]:
    """Warm every target up, then time each once per round, alternating their order."""
    scripts = {
        target.label: lua_script(
            bench.directory, f"{name}-{target.label}", target.path, body, bench.token
        )
        for target in targets
    }
    for target in targets:
        run_wrk(target.server, scripts[target.label], WARM_UP_SECONDS)
    samples: dict[str, list[Sample]] = {target.label: [] for target in targets}
    for round_index in range(bench.rounds):
        for target in in_round_order(round_index, targets):
            sample = run_wrk(target.server, scripts[target.label], bench.seconds)
            samples[target.label].append(sample)
        bench.say(
            f"  round {round_index + 1}: "
            + ", ".join(f"{label} {runs[-1].rate:.0f} req/s" for label, runs in samples.items())
        )
    return samples


@dataclass(frozen=True)
class Read:
    """One read to compare: its query's name, the case (the table it runs on), the request
    body, and the floor's path for it."""

    name: str
    case: str
    body: str
    floor_path: str


def compare_reads(
    bench: Bench, database: str, database_url: str, reads: Sequence[Read]
) -> list[Comparison]:
    """Each read in turn, on one project server and one floor server started for all."""
    with (
        servers.project(bench.directory, database_url, servers.UNUSED_TOSS_URL) as project,
        servers.floor(bench.directory, database_url, servers.UNUSED_TOSS_URL) as floor,
    ):
        comparisons = []
        for read in reads:
            bench.say(f"{read.name}, {read.case}, on {database}")
            targets = [
                Target("project", project, "/graphql"),
                Target("floor", floor, read.floor_path),
            ]
            require_same_answer(bench, targets, read.body)
            samples = sample_rounds(bench, read.name, targets, read.body)
            comparisons.append(
                Comparison(database, read.case, samples["project"], samples["floor"])
            )
    return comparisons


def compare_workers(
    bench: Bench, database: str, database_url: str, read: Read
) -> WorkersComparison:
    """The read on 1 and on 2 workers: the project's rounds, then the floor's.

    Two servers are up at a time, not four: four pools of up to 16 connections each, with
    anything else connected, can exhaust PostgreSQL's 100 connections. Each gain is taken
    within one server's own alternating rounds, so the minute between the two series does
    not enter it.
    """
    samples: dict[str, list[Sample]] = {}
    starts = (("project", servers.project, "/graphql"), ("floor", servers.floor, read.floor_path))
    for side, start, path in starts:
        bench.say(f"{read.name} on 1 and 2 workers, {side}, {read.case}, on {database}")
        with (
            start(bench.directory, database_url, servers.UNUSED_TOSS_URL, 1) as one,
            start(bench.directory, database_url, servers.UNUSED_TOSS_URL, 2) as two,
        ):
            targets = [Target(f"{side}-1w", one, path), Target(f"{side}-2w", two, path)]
            require_same_answer(bench, targets, read.body)
            samples.update(sample_rounds(bench, f"{read.name}-{side}-workers", targets, read.body))
    return WorkersComparison(
        database,
        project={1: samples["project-1w"], 2: samples["project-2w"]},
        floor={1: samples["floor-1w"], 2: samples["floor-2w"]},
    )
