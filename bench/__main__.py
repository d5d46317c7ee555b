"""`python -m bench`: every hot path against its floor, on SQLite and on PostgreSQL.

Prints one markdown table per benchmark (progress goes to stderr), and writes them to --out
when given. docs/benchmarks.md says what each measures and how.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from . import confirm, fleet, realtime, seed, servers
from .context import Bench
from .reads import Read, compare_reads, compare_workers, order_body, orders_body
from .report import (
    Comparison,
    SandboxRun,
    WorkersComparison,
    comparison_table,
    sandbox_table,
    workers_table,
)

BENCHMARKS = ("order", "orders", "confirm", "sandbox", "workers", "subscriptions", "fleet")
DATABASES = ("sqlite", "postgresql")
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _choices(text: str, allowed: Sequence[str]) -> list[str]:
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in allowed]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}; got {text!r}")
    return chosen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument(
        "--seconds", type=int, default=5, help="length of each timed run, whole seconds (default 5)"
    )
    parser.add_argument(
        "--only",
        type=lambda text: _choices(text, BENCHMARKS),
        default=list(BENCHMARKS),
        help=f"comma-separated benchmarks among {','.join(BENCHMARKS)} (default all)",
    )
    parser.add_argument(
        "--databases",
        type=lambda text: _choices(text, DATABASES),
        default=list(DATABASES),
        help="comma-separated: sqlite,postgresql (default both)",
    )
    parser.add_argument(
        "--table-size",
        type=int,
        default=100_000,
        help="orders in the large table of the `order` and `orders` reads (default 100000)",
    )
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help="a PostgreSQL database to connect to for CREATE DATABASE (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--out", type=Path, help="also write the tables to this file")
    return parser


class Results:
    def __init__(self) -> None:
        self.order: list[Comparison] = []
        self.orders: list[Comparison] = []
        self.confirm: list[Comparison] = []
        self.sandbox: list[SandboxRun] = []
        self.workers: list[WorkersComparison] = []
        self.latency: list[realtime.LatencyRun] = []
        self.capacity: list[realtime.CapacityRun] = []
        self.fleet: list[fleet.FleetRow] = []
        self.failures: list[str] = []

    def attempt(self, bench: Bench, what: str, action: Callable[[], None]) -> None:
        """Run one benchmark; a failure is reported and the others still run, since a
        default run takes a quarter of an hour."""
        try:
            action()
        except Exception as error:
            traceback.print_exc()
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            self.failures.append(f"{what}: {reason}")
            bench.say(f"FAILED {what}: {reason} (traceback above)")

    def tables(self, header: str) -> str:
        parts = [header]
        if self.order:
            parts.append(comparison_table("`order(orderId)` with its payment", self.order))
        if self.orders:
            parts.append(comparison_table("`orders(first: 20)`", self.orders))
        if self.confirm:
            parts.append(comparison_table("`confirmPayment` against the sandbox", self.confirm))
        if self.sandbox:
            parts.append(sandbox_table(self.sandbox, confirm.SANDBOX_TARGET_MS))
        if self.workers:
            parts.append(workers_table(self.workers))
        if self.latency:
            parts.append(realtime.latency_table(self.latency))
        if self.capacity:
            parts.append(realtime.capacity_table(self.capacity))
        if self.fleet:
            parts.append(fleet.fleet_table(self.fleet))
        if self.failures:
            failed = "\n".join(f"- {failure}" for failure in self.failures)
            parts.append(f"### Failed\n\n{failed}\n\nTheir tracebacks went to stderr.")
        return "\n\n".join(parts) + "\n"


def _reads(bench: Bench, kind: str, options: argparse.Namespace, results: Results) -> None:
    """The `order`, `orders` and workers benchmarks on one database."""
    only: list[str] = options.only
    name = DATABASE_NAMES[kind]
    large = f"{options.table_size:,} orders"
    with (
        seed.database(kind, bench.directory, "one", options.postgres_url) as one_url,
        seed.database(kind, bench.directory, "large", options.postgres_url) as large_url,
    ):
        if "order" in only or "workers" in only:
            servers.migrate(bench.directory, one_url)
            one = Read(
                "order", "1 order", order_body(asyncio.run(seed.seed_orders(one_url, 1))), "/order"
            )
            if "order" in only:
                results.attempt(
                    bench,
                    f"order, 1 order, {name}",
                    lambda: results.order.extend(compare_reads(bench, name, one_url, [one])),
                )
            if "workers" in only:
                results.attempt(
                    bench,
                    f"workers, {name}",
                    lambda: results.workers.append(compare_workers(bench, name, one_url, one)),
                )
        if "order" in only or "orders" in only:
            bench.say(f"seeding {large} on {name}")
            servers.migrate(bench.directory, large_url)
            target = asyncio.run(seed.seed_orders(large_url, options.table_size))
            reads = []
            if "order" in only:
                reads.append(Read("order", large, order_body(target), "/order"))
            if "orders" in only:
                reads.append(Read("orders", large, orders_body(), "/orders"))

            def on_large() -> None:
                comparisons = compare_reads(bench, name, large_url, reads)
                for read, comparison in zip(reads, comparisons, strict=True):
                    (results.order if read.name == "order" else results.orders).append(comparison)

            results.attempt(
                bench, f"{' and '.join(r.name for r in reads)}, {large}, {name}", on_large
            )


def _writes(bench: Bench, kind: str, options: argparse.Namespace, results: Results) -> None:
    """The confirm benchmarks on one database."""
    name = DATABASE_NAMES[kind]
    if "confirm" in options.only:
        results.attempt(
            bench,
            f"confirm, {name}",
            lambda: results.confirm.append(
                confirm.compare_confirm(bench, kind, name, options.postgres_url)
            ),
        )
    if "sandbox" in options.only:
        results.attempt(
            bench,
            f"sandbox, {name}",
            lambda: results.sandbox.append(
                confirm.sandbox_confirm(bench, kind, name, options.postgres_url)
            ),
        )


def _subscriptions(bench: Bench, kind: str, options: argparse.Namespace, results: Results) -> None:
    """Delivery latency and idle capacity of subscriptions on one database."""
    if "subscriptions" not in options.only:
        return
    name = DATABASE_NAMES[kind]
    results.attempt(
        bench,
        f"subscription latency, {name}",
        lambda: results.latency.append(realtime.latency(bench, kind, name, options.postgres_url)),
    )
    results.attempt(
        bench,
        f"idle subscriptions, {name}",
        lambda: results.capacity.append(realtime.capacity(bench, kind, name, options.postgres_url)),
    )


def _code_under_test() -> str:
    """Which code the figures are of: the commit checked out, or the copy PYTHONPATH names."""
    source = servers.project_source()
    if source != servers.REPOSITORY:
        return f"the project as found in {source} (PYTHONPATH), not the working tree"
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=servers.REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    commit = done.stdout.strip() or "unknown"
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "toss_graphql", "toss_sandbox", "bench"],
        cwd=servers.REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    state = "with uncommitted changes" if changed else "nothing uncommitted"
    return f"the working tree at commit {commit} ({state})"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    results = Results()
    with tempfile.TemporaryDirectory(prefix="toss-bench-") as directory:
        bench = Bench(
            directory=Path(directory),
            rounds=arguments.rounds,
            seconds=arguments.seconds,
            token=servers.token(seed.BUYER),
        )
        for kind in arguments.databases:
            _reads(bench, kind, arguments, results)
            _writes(bench, kind, arguments, results)
            _subscriptions(bench, kind, arguments, results)
        if "fleet" in arguments.only and "postgresql" in arguments.databases:
            results.attempt(
                bench,
                "fleet, PostgreSQL",
                lambda: results.fleet.extend(fleet.fleet(bench, arguments.postgres_url)),
            )
    minutes = (time.monotonic() - started) / 60
    header = (
        f"## Benchmarks, {time.strftime('%Y-%m-%d %H:%M')}\n\n"
        f"Code: {_code_under_test()}. "
        f"{arguments.rounds} alternating rounds of {arguments.seconds} s per server, "
        f"16 connections, on {os.cpu_count()} cores; took {minutes:.1f} min. "
        f"Load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after: "
        "anything else running on the machine shows in every figure."
    )
    tables = results.tables(header)
    sys.stdout.write(tables)
    if arguments.out is not None:
        arguments.out.write_text(tables, encoding="utf-8")
    return 1 if results.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
