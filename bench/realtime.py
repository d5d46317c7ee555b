"""Subscriptions: how soon a committed change reaches a subscriber, and how many idle
subscriptions one worker holds (docs/realtime.md).

Latency: the benchmark commits a change to an order itself (an operator's `attention` note,
straight into the database, so no request of the project is timed with it) and notes the
moment its COMMIT returned; a subscriber of `toss-graphql serve` notes when the message
showing it arrives. The floor, on PostgreSQL, is independent code doing the least of that
work: a connection of the benchmark's own LISTENing to the same trigger's notification.
On SQLite there is no notification to listen to; the floor is a loop reading the trigger's
change log as often as the project does.

Capacity: one worker, 10,000 subscriptions over 100 WebSockets, each subscription's first
message received; the worker's resident memory before and after, per subscription.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import statistics
import time
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from websockets.asyncio.client import ClientConnection, connect

from . import seed, servers
from .context import Bench
from .report import table_row
from .tables import orders, stored

CHANNEL = "toss_graphql_order_changed"
FOLLOW = """subscription Follow($orderId: ID!) {
  orderUpdated(orderId: $orderId) { orderId status attention }
}"""
WATCHED_ORDERS = 20
CHANGES_PER_ROUND = 100
# Far enough apart that two changes of one order are never folded into one message.
CHANGE_SPACING_SECONDS = 0.02
IDLE_SUBSCRIPTIONS = 10_000
IDLE_CONNECTIONS = 100
IDLE_ORDERS = 1_000
SQLITE_POLL_SECONDS = 0.05
SETTINGS = {
    "SUBSCRIPTIONS_PER_CONNECTION": str(IDLE_SUBSCRIPTIONS // IDLE_CONNECTIONS),
    "SUBSCRIPTIONS_PER_SUBJECT": str(IDLE_SUBSCRIPTIONS * 2),
}


@dataclass(frozen=True)
class LatencyRun:
    database: str
    # Per round: (p50 ms, p99 ms) of the project and of the floor.
    project: list[tuple[float, float]]
    floor: list[tuple[float, float]]


@dataclass(frozen=True)
class CapacityRun:
    database: str
    subscriptions: int
    rss_before_mib: float
    rss_after_mib: float
    open_seconds: float
    latency_ms: float

    @property
    def kib_per_subscription(self) -> float:
        return (self.rss_after_mib - self.rss_before_mib) * 1024 / self.subscriptions


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _ws_url(server: servers.Server) -> str:
    return server.url.replace("http://", "ws://", 1) + "/graphql"


async def _session(server: servers.Server, token: str) -> ClientConnection:
    socket = await connect(_ws_url(server), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await socket.send(json.dumps(init))
    ack = json.loads(await socket.recv())
    if ack["type"] != "connection_ack":
        raise RuntimeError(f"the connection was not acknowledged: {ack}")
    return socket


async def _subscribe(socket: ClientConnection, operation_id: str, order_id: str) -> None:
    payload = {"query": FOLLOW, "variables": {"orderId": order_id}}
    await socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))


async def _messages(socket: ClientConnection, on_order: Callable[[dict[str, Any]], None]) -> None:
    async for raw in socket:
        message = json.loads(raw)
        if message["type"] == "ping":
            await socket.send(json.dumps({"type": "pong"}))
        elif message["type"] == "next":
            if "errors" in message["payload"]:
                raise RuntimeError(f"a subscription failed: {message['payload']}")
            on_order(message["payload"]["data"]["orderUpdated"])


async def _pending_orders(url: str, count: int) -> list[str]:
    order_ids = [seed.new_order_id() for _ in range(count)]
    await seed.add_pending_orders(url, order_ids)
    return order_ids


class _Changes:
    """Commits of one note each, timed from the benchmark's side."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.committed: dict[str, float] = {}
        # The note each order carries last, known before its commit (a floor's signal may
        # arrive before `make` returns).
        self.latest: dict[str, str] = {}

    async def make(self, order_id: str) -> str:
        note = secrets.token_hex(6)
        self.latest[order_id] = note
        async with self._engine.connect() as connection:
            await connection.execute(
                update(orders)
                .where(orders.c.order_id == order_id)
                .values(attention=note, updated_at=stored(datetime.now(UTC)))
            )
            await connection.commit()
            self.committed[note] = time.perf_counter()
        return note


async def _project_latencies(
    server: servers.Server, engine: AsyncEngine, order_ids: list[str], token: str
) -> list[float]:
    arrived: dict[str, float] = {}
    first_seen: set[str] = set()
    subscribed, all_arrived = asyncio.Event(), asyncio.Event()

    def on_order(order: dict[str, Any]) -> None:
        if order["orderId"] not in first_seen:
            first_seen.add(order["orderId"])
            if len(first_seen) == len(order_ids):
                subscribed.set()
        elif order["attention"]:
            arrived.setdefault(order["attention"], time.perf_counter())
            if len(arrived) == CHANGES_PER_ROUND:
                all_arrived.set()

    async with AsyncExitStack() as stack:
        sockets = []
        for first in range(0, len(order_ids), 10):
            socket = await _session(server, token)
            stack.push_async_callback(socket.close)
            sockets.append(socket)
            for index, order_id in enumerate(order_ids[first : first + 10]):
                await _subscribe(socket, str(index), order_id)
        readers = [asyncio.create_task(_messages(socket, on_order)) for socket in sockets]
        try:
            await asyncio.wait_for(subscribed.wait(), 30)
            changes = _Changes(engine)
            for change in range(CHANGES_PER_ROUND):
                await changes.make(order_ids[change % len(order_ids)])
                await asyncio.sleep(CHANGE_SPACING_SECONDS)
            with suppress(TimeoutError):
                await asyncio.wait_for(all_arrived.wait(), 10)
        finally:
            for reader in readers:
                reader.cancel()
    missing = CHANGES_PER_ROUND - len(arrived)
    if missing:
        raise RuntimeError(f"{missing} of {CHANGES_PER_ROUND} changes never reached a subscriber")
    return [(arrived[note] - committed) * 1000 for note, committed in changes.committed.items()]


async def _postgres_floor(url: str, engine: AsyncEngine, order_ids: list[str]) -> list[float]:
    """A bare LISTEN on the trigger's channel: commit to notification, nothing else."""
    arrived: dict[str, float] = {}
    listener = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    changes = _Changes(engine)
    try:
        await listener.add_listener(
            CHANNEL,
            lambda _c, _p, _ch, order_id: arrived.setdefault(
                changes.latest[order_id], time.perf_counter()
            ),
        )
        for change in range(CHANGES_PER_ROUND):
            await changes.make(order_ids[change % len(order_ids)])
            await asyncio.sleep(CHANGE_SPACING_SECONDS)
        await asyncio.sleep(0.5)
    finally:
        await listener.close()
    return [(arrived[note] - committed) * 1000 for note, committed in changes.committed.items()]


async def _sqlite_floor(url: str, engine: AsyncEngine, order_ids: list[str]) -> list[float]:
    """A bare reader of the change log at the project's pace: commit to the row being read."""
    arrived: dict[str, float] = {}
    path = make_url(url).database
    assert path is not None
    reader = sqlite3.connect(path, isolation_level=None)
    last = reader.execute("SELECT coalesce(max(seq), 0) FROM order_changes").fetchone()[0]
    changes = _Changes(engine)
    stop = asyncio.Event()

    async def poll() -> None:
        nonlocal last
        while not stop.is_set():
            await asyncio.sleep(SQLITE_POLL_SECONDS)
            rows = reader.execute(
                "SELECT seq, order_id FROM order_changes WHERE seq > ? ORDER BY seq", (last,)
            ).fetchall()
            for seq, order_id in rows:
                last = seq
                arrived.setdefault(changes.latest[order_id], time.perf_counter())

    polling = asyncio.create_task(poll())
    try:
        for change in range(CHANGES_PER_ROUND):
            await changes.make(order_ids[change % len(order_ids)])
            await asyncio.sleep(CHANGE_SPACING_SECONDS)
        await asyncio.sleep(0.5)
    finally:
        stop.set()
        await polling
        reader.close()
    return [(arrived[note] - committed) * 1000 for note, committed in changes.committed.items()]


def _summary(latencies: list[float]) -> tuple[float, float]:
    return statistics.median(latencies), percentile(latencies, 0.99)


def latency(bench: Bench, kind: str, name: str, postgres_url: str) -> LatencyRun:
    project: list[tuple[float, float]] = []
    floor: list[tuple[float, float]] = []
    with seed.database(kind, bench.directory, "live", postgres_url) as url:
        servers.migrate(bench.directory, url)
        order_ids = asyncio.run(_pending_orders(url, WATCHED_ORDERS))
        with servers.project(
            bench.directory, url, servers.UNUSED_TOSS_URL, extra=SETTINGS
        ) as server:

            async def one_round(round_index: int) -> None:
                engine = create_async_engine(url)
                try:
                    sides = [("project", project), ("floor", floor)]
                    for side, results in sides if round_index % 2 == 0 else reversed(sides):
                        if side == "project":
                            values = await _project_latencies(
                                server, engine, order_ids, bench.token
                            )
                        elif kind == "postgresql":
                            values = await _postgres_floor(url, engine, order_ids)
                        else:
                            values = await _sqlite_floor(url, engine, order_ids)
                        results.append(_summary(values))
                finally:
                    await engine.dispose()

            for round_index in range(bench.rounds):
                bench.say(f"subscription latency on {name}, round {round_index + 1}")
                asyncio.run(one_round(round_index))
    return LatencyRun(name, project, floor)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def _hold_idle(server: servers.Server, url: str, token: str, name: str) -> CapacityRun:
    order_ids = await _pending_orders(url, IDLE_ORDERS)
    # One subscription first, so start-up allocations are not counted per subscription.
    warm = await _session(server, token)
    await _subscribe(warm, "warm", order_ids[0])
    json.loads(await warm.recv())
    await asyncio.sleep(1)
    before = _rss_mib(server.pid)
    first_messages = 0
    done = asyncio.Event()

    def on_order(_: dict[str, Any]) -> None:
        nonlocal first_messages
        first_messages += 1
        if first_messages == IDLE_SUBSCRIPTIONS:
            done.set()

    started = time.perf_counter()
    sockets = [await _session(server, token) for _ in range(IDLE_CONNECTIONS)]
    readers = [asyncio.create_task(_messages(socket, on_order)) for socket in sockets]
    per_connection = IDLE_SUBSCRIPTIONS // IDLE_CONNECTIONS
    for number, socket in enumerate(sockets):
        for index in range(per_connection):
            order_id = order_ids[(number * per_connection + index) % IDLE_ORDERS]
            await _subscribe(socket, str(index), order_id)
    await asyncio.wait_for(done.wait(), 300)
    open_seconds = time.perf_counter() - started
    await asyncio.sleep(2)
    after = _rss_mib(server.pid)
    # With all of them open, one change still reaches its ten subscribers.
    engine = create_async_engine(url)
    try:
        seen = asyncio.Event()
        target = order_ids[7]
        note = ""
        arrival = 0.0

        def on_change(order: dict[str, Any]) -> None:
            nonlocal arrival
            if order["orderId"] == target and order["attention"] == note and not seen.is_set():
                arrival = time.perf_counter()
                seen.set()

        watcher = await _session(server, token)
        await _subscribe(watcher, "w", target)
        json.loads(await watcher.recv())
        watching = asyncio.create_task(_messages(watcher, on_change))
        changes = _Changes(engine)
        note = await changes.make(target)
        await asyncio.wait_for(seen.wait(), 30)
        watching.cancel()
        await watcher.close()
    finally:
        await engine.dispose()
    for reader in readers:
        reader.cancel()
    for socket in [*sockets, warm]:
        await socket.close()
    return CapacityRun(
        database=name,
        subscriptions=IDLE_SUBSCRIPTIONS,
        rss_before_mib=before,
        rss_after_mib=after,
        open_seconds=open_seconds,
        latency_ms=(arrival - changes.committed[note]) * 1000,
    )


def capacity(bench: Bench, kind: str, name: str, postgres_url: str) -> CapacityRun:
    with seed.database(kind, bench.directory, "idle", postgres_url) as url:
        servers.migrate(bench.directory, url)
        with servers.project(
            bench.directory, url, servers.UNUSED_TOSS_URL, extra=SETTINGS
        ) as server:
            bench.say(f"{IDLE_SUBSCRIPTIONS:,} idle subscriptions on one worker, {name}")
            return asyncio.run(_hold_idle(server, url, bench.token, name))


def latency_table(runs: list[LatencyRun]) -> str:
    header = ["database", "side", "p50 ms", "p99 ms", "per round (p50 / p99 ms)"]
    lines = [
        "### Subscriptions: commit to subscriber",
        "",
        table_row(header),
        table_row(["---"] * 5),
    ]
    for run in runs:
        for side, rounds in (("project", run.project), ("floor", run.floor)):
            lines.append(
                table_row(
                    [
                        run.database,
                        side,
                        f"{statistics.median(p50 for p50, _ in rounds):.2f}",
                        f"{statistics.median(p99 for _, p99 in rounds):.2f}",
                        " ".join(f"{p50:.2f}/{p99:.2f}" for p50, p99 in rounds),
                    ]
                )
            )
    lines += [
        "",
        f"{CHANGES_PER_ROUND} committed changes per round, {CHANGE_SPACING_SECONDS * 1000:g} ms "
        f"apart, to {WATCHED_ORDERS} orders with one subscriber each, over "
        f"{WATCHED_ORDERS // 10} WebSockets to one worker. From the moment the change's COMMIT "
        "returned to the benchmark to the message's arrival, both on the benchmark's clock. "
        "Floor: on PostgreSQL a bare LISTEN on the trigger's channel; on SQLite a bare read of "
        f"the change log every {SQLITE_POLL_SECONDS * 1000:g} ms, the project's own pace.",
    ]
    return "\n".join(lines)


def capacity_table(runs: list[CapacityRun]) -> str:
    header = [
        "database",
        "subscriptions",
        "RSS before MiB",
        "RSS after MiB",
        "KiB per subscription",
        "opened in s",
        "a change, then, in ms",
    ]
    lines = ["### Subscriptions: idle ones one worker holds", "", table_row(header)]
    lines.append(table_row(["---"] * len(header)))
    for run in runs:
        lines.append(
            table_row(
                [
                    run.database,
                    f"{run.subscriptions:,}",
                    f"{run.rss_before_mib:.1f}",
                    f"{run.rss_after_mib:.1f}",
                    f"{run.kib_per_subscription:.1f}",
                    f"{run.open_seconds:.1f}",
                    f"{run.latency_ms:.1f}",
                ]
            )
        )
    lines += [
        "",
        f"One worker; {IDLE_CONNECTIONS} WebSockets of {IDLE_SUBSCRIPTIONS // IDLE_CONNECTIONS} "
        f"subscriptions each, to {IDLE_ORDERS:,} orders; every subscription's first message "
        "received before the second reading of the worker's resident memory. The last column: "
        "one change committed while all of them are open, to its subscriber.",
    ]
    return "\n".join(lines)
