"""The fleet on PostgreSQL: one instance with 1 and with 2 workers, and 2 instances of 1 worker,
each straight to PostgreSQL and through PgBouncer in transaction mode, all in one run.

For every topology the project and its floor (bench/floors.py, told of PgBouncer the same way)
serve the `order` read (wrk) and `confirmPayment` against one standalone sandbox (a new
checkout per confirm). With two instances the load is split evenly between them, at the same
16 connections in all, and the figures are summed; CPU is that of every server process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.pgbouncer import pgbouncer_in_front_of

from . import confirm, seed, servers
from .context import Bench
from .driver import drive_each, percentile
from .load import CONNECTIONS, Sample, lua_script, run_wrk, tree_cpu_seconds
from .reads import order_body
from .report import median, table_row

# (name, instances, workers per instance)
TOPOLOGIES = (
    ("1 instance, 1 worker", 1, 1),
    ("1 instance, 2 workers", 1, 2),
    ("2 instances", 2, 1),
)
CONFIRMS_PER_RUN = 240
WARM_UP_SECONDS = 1


@dataclass(frozen=True)
class FleetRow:
    route: str
    topology: str
    side: str
    reads: Sequence[Sample]
    confirms: Sequence[Sample]


def _merged(samples: Sequence[Sample], cpu_seconds: float) -> Sample:
    """Runs that went on side by side, one per instance, as one."""
    return Sample(
        requests=sum(s.requests for s in samples),
        seconds=max(s.seconds for s in samples),
        p50_ms=max(s.p50_ms for s in samples),
        p99_ms=max(s.p99_ms for s in samples),
        cpu_seconds=cpu_seconds,
    )


def _cpu(instances: Sequence[servers.Server]) -> float:
    return sum(tree_cpu_seconds(server.pid) for server in instances)


def _reads(instances: Sequence[servers.Server], script: Path, seconds: int) -> Sample:
    share = CONNECTIONS // len(instances)
    before = _cpu(instances)
    with ThreadPoolExecutor(len(instances)) as pool:
        runs = list(pool.map(lambda s: run_wrk(s, script, seconds, share), instances))
    return _merged(runs, _cpu(instances) - before)


def _confirms(
    bench: Bench,
    instances: Sequence[servers.Server],
    path: str,
    sandbox: servers.Server,
    database_url: str,
) -> Sample:
    checkouts = confirm.ready_checkouts(sandbox, database_url, CONFIRMS_PER_RUN)
    requests = confirm.graphql_confirms(bench, path, checkouts)
    shares = [requests[index :: len(instances)] for index in range(len(instances))]
    before = _cpu(instances)
    runs = drive_each(
        [(server.port, share) for server, share in zip(instances, shares, strict=True)],
        CONNECTIONS // len(instances),
    )
    cpu = _cpu(instances) - before
    exchanges = [exchange for run in runs for exchange in run.exchanges]
    for server, run in zip(instances, runs, strict=True):
        for exchange in run.exchanges:
            confirm.confirmed(server, exchange)
    latencies = [exchange.seconds for exchange in exchanges]
    return Sample(
        requests=len(exchanges),
        seconds=max(run.seconds for run in runs),
        p50_ms=1000 * percentile(latencies, 0.5),
        p99_ms=1000 * percentile(latencies, 0.99),
        cpu_seconds=cpu,
    )


@contextmanager
def _side(
    side: str, bench: Bench, url: str, direct_url: str, toss_url: str, instances: int, workers: int
) -> Iterator[list[servers.Server]]:
    """`instances` servers of one side, each with `workers`, on `url`; told of the pooler when
    `url` is not PostgreSQL's own."""
    pooled = url != direct_url
    if side == "project":
        start = servers.project
        extra = {"DATABASE_PGBOUNCER": "true", "DATABASE_LISTEN_URL": direct_url} if pooled else {}
    else:
        start = servers.floor
        extra = {"BENCH_FLOOR_PGBOUNCER": "true"} if pooled else {}
    with ExitStack() as stack:
        yield [
            stack.enter_context(start(bench.directory, url, toss_url, workers, extra=extra))
            for _ in range(instances)
        ]


def fleet(bench: Bench, postgres_url: str) -> list[FleetRow]:
    rows: list[FleetRow] = []
    with (
        seed.database("postgresql", bench.directory, "fleet", postgres_url) as direct_url,
        seed.database("postgresql", bench.directory, "fleet_sandbox", postgres_url) as sandbox_url,
    ):
        servers.migrate(bench.directory, direct_url)
        order_id = asyncio.run(seed.seed_orders(direct_url, 1))
        body = order_body(order_id)
        with (
            servers.sandbox(bench.directory, sandbox_url) as sandbox,
            pgbouncer_in_front_of(direct_url) as pooled_url,
        ):
            for route, url in (("direct", direct_url), ("PgBouncer", pooled_url)):
                for topology, instances, workers in TOPOLOGIES:
                    for side, path, read_path in (
                        ("project", "/graphql", "/graphql"),
                        ("floor", "/confirm", "/order"),
                    ):
                        bench.say(f"fleet: {side}, {topology}, {route}")
                        with _side(
                            side, bench, url, direct_url, sandbox.url, instances, workers
                        ) as started:
                            script = lua_script(
                                bench.directory, f"fleet-{side}", read_path, body, bench.token
                            )
                            _reads(started, script, WARM_UP_SECONDS)
                            reads, confirms = [], []
                            for _ in range(bench.rounds):
                                reads.append(_reads(started, script, bench.seconds))
                                confirms.append(
                                    _confirms(bench, started, path, sandbox, direct_url)
                                )
                            bench.say(
                                f"  reads {median([s.rate for s in reads]):.0f} req/s, "
                                f"confirms {median([s.rate for s in confirms]):.0f} req/s"
                            )
                        rows.append(FleetRow(route, topology, side, reads, confirms))
    return rows


def fleet_table(rows: Sequence[FleetRow]) -> str:
    header = [
        "route",
        "topology",
        "server",
        "`order` req/s",
        "CPU ms/read",
        "`confirmPayment` req/s",
        "p99 ms",
        "CPU ms/confirm",
    ]
    lines = ["### The fleet on PostgreSQL", "", table_row(header), table_row(["---"] * len(header))]
    by_key = {(row.route, row.topology, row.side): row for row in rows}
    for row in rows:
        lines.append(
            table_row(
                [
                    row.route,
                    row.topology,
                    row.side,
                    f"{median([s.rate for s in row.reads]):.0f}",
                    f"{median([s.cpu_ms_per_request for s in row.reads]):.2f}",
                    f"{median([s.rate for s in row.confirms]):.0f}",
                    f"{median([s.p99_ms for s in row.confirms]):.1f}",
                    f"{median([s.cpu_ms_per_request for s in row.confirms]):.2f}",
                ]
            )
        )
        if row.side == "floor" and (project := by_key.get((row.route, row.topology, "project"))):
            read_ratio = median([s.rate for s in project.reads]) / median(
                [s.rate for s in row.reads]
            )
            confirm_ratio = median([s.rate for s in project.confirms]) / median(
                [s.rate for s in row.confirms]
            )
            lines.append(
                table_row(
                    [
                        row.route,
                        row.topology,
                        "**project/floor**",
                        f"**{read_ratio:.2f}**",
                        "",
                        f"**{confirm_ratio:.2f}**",
                        "",
                        "",
                    ]
                )
            )
    lines += [
        "",
        "Medians of the rounds; each round times the read for the run's seconds, then "
        f"{CONFIRMS_PER_RUN} confirms, each on a new checkout. Two instances share the 16 "
        "connections (8 each) and their figures are summed.",
    ]
    return "\n".join(lines)
