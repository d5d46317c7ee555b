"""`confirmPayment` end to end against the standalone sandbox, and the sandbox's own confirm.

A confirm uses up its checkout, so each timed run is a list of checkouts approved just
before it (orders inserted in the project's database, checkouts approved through the
sandbox's hosted checkout form, as a buyer's browser would) and driven by bench/driver.py.
Each side confirms as many checkouts as its warm-up rate says it can in --seconds.

The sandbox runs without a webhook URL, so it sends no webhooks to either side: the two
runs make exactly the same calls, and a webhook arriving during the other side's run
cannot bill one server for the other's work.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from . import seed, servers
from .context import Bench, Target, in_round_order
from .driver import Exchange, drive, percentile, post
from .load import Sample, tree_cpu_seconds
from .report import Comparison, SandboxRun

CONFIRM_MUTATION = (
    "mutation Confirm($paymentKey: String!, $orderId: ID!, $amount: Int!) { "
    "confirmPayment(paymentKey: $paymentKey, orderId: $orderId, amount: $amount) { "
    "order { orderId status amount } "
    "payment { paymentKey method totalAmount balanceAmount approvedAt } "
    "errors { code message field } } }"
)
# The target for the sandbox's own confirm, in server CPU per confirm.
SANDBOX_TARGET_MS = 5.0
WARM_UP_CONFIRMS = 64
MIN_CONFIRMS, MAX_CONFIRMS = 64, 5_000
CLIENT_KEY = "test_ck_sandbox"


@dataclass(frozen=True, slots=True)
class Checkout:
    order_id: str
    payment_key: str


def approve_checkouts(sandbox: servers.Server, order_ids: Sequence[str]) -> list[Checkout]:
    """Each order's checkout approved in the sandbox's window, ready to be confirmed."""
    forms = [
        post(
            "/checkout",
            urlencode(
                {
                    "clientKey": CLIENT_KEY,
                    "orderId": order_id,
                    "orderName": seed.ORDER_NAME,
                    "amount": str(seed.AMOUNT),
                    "successUrl": "https://shop.example/success",
                    "failUrl": "https://shop.example/fail",
                    "decision": "approve",
                }
            ).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        for order_id in order_ids
    ]
    checkouts = []
    for order_id, answer in zip(order_ids, drive(sandbox.port, forms).exchanges, strict=True):
        if answer.status != 303:
            raise RuntimeError(f"the sandbox refused a checkout: {answer.status} {answer.body!r}")
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        checkouts.append(Checkout(order_id, query["paymentKey"][0]))
    return checkouts


def ready_checkouts(
    sandbox: servers.Server, database_url: str | None, count: int
) -> list[Checkout]:
    """`count` orders (in the project's database when given) with approved checkouts."""
    order_ids = [seed.new_order_id() for _ in range(count)]
    if database_url is not None:
        asyncio.run(seed.add_pending_orders(database_url, order_ids))
    return approve_checkouts(sandbox, order_ids)


def graphql_confirms(bench: Bench, path: str, checkouts: Sequence[Checkout]) -> list[bytes]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {bench.token}"}
    return [
        post(
            path,
            json.dumps(
                {
                    "query": CONFIRM_MUTATION,
                    "variables": {
                        "paymentKey": checkout.payment_key,
                        "orderId": checkout.order_id,
                        "amount": seed.AMOUNT,
                    },
                }
            ).encode(),
            headers,
        )
        for checkout in checkouts
    ]


def _toss_confirms(checkouts: Sequence[Checkout]) -> list[bytes]:
    basic = base64.b64encode(f"{servers.TOSS_SECRET_KEY}:".encode()).decode()
    return [
        post(
            "/v1/payments/confirm",
            json.dumps(
                {
                    "paymentKey": checkout.payment_key,
                    "orderId": checkout.order_id,
                    "amount": seed.AMOUNT,
                }
            ).encode(),
            {
                "Content-Type": "application/json",
                "Authorization": f"Basic {basic}",
                "Idempotency-Key": secrets.token_hex(16),
            },
        )
        for checkout in checkouts
    ]


def confirmed(server: servers.Server, answer: Exchange) -> dict[str, object]:
    """The confirm's payload, which must show the order PAID and no errors."""
    payload = answer.json()["data"]["confirmPayment"] if answer.status == 200 else None
    if not payload or payload["errors"] or payload["order"]["status"] != "PAID":
        raise RuntimeError(
            f"{server.name} did not confirm: {answer.status} {answer.body!r}\n"
            f"The end of its log:\n{server.log_tail()}"
        )
    confirmed: dict[str, object] = payload
    return confirmed


def _approved(sandbox: servers.Server, answer: Exchange) -> None:
    if answer.status != 200 or answer.json()["status"] != "DONE":
        raise RuntimeError(
            f"the sandbox did not approve: {answer.status} {answer.body!r}\n"
            f"The end of its log:\n{sandbox.log_tail()}"
        )


def _timed(
    requests: Sequence[bytes], port: int, measured: servers.Server, sandbox: servers.Server
) -> tuple[list[Exchange], Sample, float]:
    """Drive the requests; the sample of `measured` and the sandbox's CPU over the run."""
    before, sandbox_before = tree_cpu_seconds(measured.pid), tree_cpu_seconds(sandbox.pid)
    run = drive(port, requests)
    cpu = tree_cpu_seconds(measured.pid) - before
    sandbox_cpu = tree_cpu_seconds(sandbox.pid) - sandbox_before
    latencies = [exchange.seconds for exchange in run.exchanges]
    sample = Sample(
        requests=len(requests),
        seconds=run.seconds,
        p50_ms=1000 * percentile(latencies, 0.50),
        p99_ms=1000 * percentile(latencies, 0.99),
        cpu_seconds=cpu,
    )
    return run.exchanges, sample, sandbox_cpu


def _calibrated(bench: Bench, rate: float) -> int:
    return max(MIN_CONFIRMS, min(MAX_CONFIRMS, round(rate * bench.seconds)))


def _confirm_once(
    bench: Bench, side: Target, sandbox: servers.Server, database_url: str, count: int
) -> tuple[Sample, float, dict[str, object]]:
    checkouts = ready_checkouts(sandbox, database_url, count)
    requests = graphql_confirms(bench, side.path, checkouts)
    answers, sample, sandbox_cpu = _timed(requests, side.server.port, side.server, sandbox)
    payloads = [confirmed(side.server, answer) for answer in answers]
    return sample, 1000 * sandbox_cpu / count, payloads[0]


def _same_shape(project: dict[str, object], floor: dict[str, object]) -> None:
    """The floor answers with the project's fields and the values that do not vary."""

    def shape(payload: dict[str, object]) -> object:
        order = payload["order"]
        payment = payload["payment"]
        assert isinstance(order, dict) and isinstance(payment, dict)
        return (
            sorted(payload),
            sorted(order),
            sorted(payment),
            order["status"],
            order["amount"],
            payment["method"],
            payment["totalAmount"],
            payment["balanceAmount"],
        )

    if shape(project) != shape(floor):
        raise RuntimeError(f"the floor's confirm answers differently:\n{floor}\n{project}")


def compare_confirm(bench: Bench, kind: str, name: str, postgres_url: str) -> Comparison:
    bench.say(f"confirmPayment on {name}")
    with (
        seed.database(kind, bench.directory, "confirm", postgres_url) as database_url,
        seed.database(kind, bench.directory, "sandbox", postgres_url) as sandbox_url,
    ):
        servers.migrate(bench.directory, database_url)
        with (
            servers.sandbox(bench.directory, sandbox_url) as sandbox,
            servers.project(bench.directory, database_url, sandbox.url) as project,
            servers.floor(bench.directory, database_url, sandbox.url) as floor,
        ):
            sides = [Target("project", project, "/graphql"), Target("floor", floor, "/confirm")]
            counts: dict[str, int] = {}
            answers: dict[str, dict[str, object]] = {}
            for side in sides:
                warm_up, _, answers[side.label] = _confirm_once(
                    bench, side, sandbox, database_url, WARM_UP_CONFIRMS
                )
                counts[side.label] = _calibrated(bench, warm_up.rate)
            _same_shape(answers["project"], answers["floor"])
            bench.say(f"  confirms per run: {counts}")
            samples: dict[str, list[Sample]] = {side.label: [] for side in sides}
            sandbox_cpu: dict[str, list[float]] = {side.label: [] for side in sides}
            for round_index in range(bench.rounds):
                for side in in_round_order(round_index, sides):
                    sample, sandbox_ms, _ = _confirm_once(
                        bench, side, sandbox, database_url, counts[side.label]
                    )
                    samples[side.label].append(sample)
                    sandbox_cpu[side.label].append(sandbox_ms)
                bench.say(
                    f"  round {round_index + 1}: "
                    + ", ".join(f"{k} {v[-1].rate:.0f} req/s" for k, v in samples.items())
                )
    return Comparison(
        name, "a new checkout each", samples["project"], samples["floor"], sandbox_cpu
    )


def sandbox_confirm(bench: Bench, kind: str, name: str, postgres_url: str) -> SandboxRun:
    """`POST /v1/payments/confirm` straight to the standalone sandbox: its CPU per confirm."""
    bench.say(f"sandbox confirm on {name}")
    with (
        seed.database(kind, bench.directory, "sandbox_alone", postgres_url) as sandbox_url,
        servers.sandbox(bench.directory, sandbox_url) as sandbox,
    ):

        def once(count: int) -> Sample:
            requests = _toss_confirms(ready_checkouts(sandbox, None, count))
            answers, sample, _ = _timed(requests, sandbox.port, sandbox, sandbox)
            for answer in answers:
                _approved(sandbox, answer)
            return sample

        count = _calibrated(bench, once(WARM_UP_CONFIRMS).rate)
        samples = []
        for round_index in range(bench.rounds):
            samples.append(once(count))
            bench.say(f"  round {round_index + 1}: {samples[-1].rate:.0f} confirms/s")
    return SandboxRun(name, samples)
