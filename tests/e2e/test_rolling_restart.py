"""A rolling deploy under load: two instances on one PostgreSQL, one of them restarted while a
burst of confirms and cancels is under way. Every request ends with a definite answer after
retries the client was told it could make, and the money is what the sandbox recorded."""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import token_for
from tests.e2e.conftest import serve_api
from tests.support.database import seed_catalog
from tests.support.flows import (
    CANCEL,
    CONFIRM,
    checkout,
    create_order,
    order_status,
    paid_order,
    toss_payment,
)
from tests.support.outages import reconcile
from tests.support.servers import ServerProcess, free_port
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.postgresql_only]

CONFIRMS = 24
CANCELS = 8
# The burst spreads over about two seconds, across the stop and the start of an instance.
BURST_SPACING = 0.06
# Answers a client is told to retry: the instance is stopping (503), or another request on the
# same order is still at Toss. Anything else is definite.
RETRYABLE_CODES = frozenset({"SERVICE_UNAVAILABLE", "CONFIRM_IN_PROGRESS", "CANCEL_IN_PROGRESS"})


class Fleet:
    """The instances' URLs, the one being restarted among them; requests go round-robin.
    Counts each instance's requests sent and not answered yet."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._next = itertools.count()
        self.in_flight: Counter[str] = Counter()

    def pick(self) -> str:
        return self.urls[next(self._next) % len(self.urls)]


async def until_definite(
    fleet: Fleet,
    query: str,
    variables: dict[str, Any],
    token: str,
    seen: Counter[str],
    *,
    after: float,
) -> dict[str, Any]:
    """Sends the request `after` seconds, as a careful client does: on a retryable answer,
    again (the same arguments, so the same idempotency) to the next instance. Counts every
    answer's kind."""
    await asyncio.sleep(after)
    for _ in range(200):
        url = fleet.pick()
        fleet.in_flight[url] += 1
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as api:
                response = await api.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
        except httpx.TransportError as error:
            # Refused while the instance is down, or cut as it stopped: nothing was answered,
            # and the same request may be sent again.
            seen[f"transport {type(error).__name__}"] += 1
            await asyncio.sleep(0.1)
            continue
        finally:
            fleet.in_flight[url] -= 1
        body = response.json()
        if response.status_code != 200:
            codes = [error.get("extensions", {}).get("code") for error in body["errors"]]
            seen[f"{response.status_code} {codes}"] += 1
            assert response.status_code == 503 and codes == ["SERVICE_UNAVAILABLE"], body
            await asyncio.sleep(0.1)
            continue
        (payload,) = body["data"].values()
        codes = [error["code"] for error in payload["errors"]]
        if set(codes) & RETRYABLE_CODES:
            seen[f"200 {codes}"] += 1
            await asyncio.sleep(0.2)
            continue
        seen["200 definite"] += 1
        assert codes == [], payload
        return dict(payload)
    raise AssertionError(f"no definite answer for {variables}")


async def test_a_restart_during_a_burst_loses_no_request_and_no_money(
    clean_database: str,
    sandbox_server: ServerProcess,
    reset_sandbox: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    await seed_catalog(clean_database)
    alice = token_for("alice")
    settings = {"SHUTDOWN_GRACE_SECONDS": "10"}
    restarted_port = free_port()
    with ExitStack() as stack:
        steady = stack.enter_context(
            serve_api(tmp_path, clean_database, sandbox_server.url, "steady", settings=settings)
        )
        restarted = stack.enter_context(
            serve_api(
                tmp_path,
                clean_database,
                sandbox_server.url,
                "restarted",
                port=restarted_port,
                settings=settings,
            )
        )
        async with httpx.AsyncClient(base_url=steady.url, timeout=30) as api:
            to_confirm = [
                await create_order(api, alice, {"lines": [{"sku": "americano"}]})
                for _ in range(CONFIRMS)
            ]
            redirects = [await checkout(reset_sandbox, order) for order in to_confirm]
            to_cancel = [
                await paid_order(api, reset_sandbox, alice, {"lines": [{"sku": "cafe-latte"}]})
                for _ in range(CANCELS)
            ]
        # Toss acts at once and answers 400 ms late: requests are in flight at the SIGTERM.
        slow = {"method": "POST", "path": "/v1/*", "kind": "latency", "latencyMs": 400}
        (
            await reset_sandbox.post("/admin/faults", json=[{**slow, "times": 1000}])
        ).raise_for_status()

        fleet = Fleet([steady.url, restarted.url])
        seen: Counter[str] = Counter()
        confirms = [
            asyncio.create_task(
                until_definite(
                    fleet,
                    CONFIRM,
                    {
                        "paymentKey": redirect["paymentKey"],
                        "orderId": redirect["orderId"],
                        "amount": int(redirect["amount"]),
                    },
                    alice,
                    seen,
                    after=index * BURST_SPACING,
                )
            )
            for index, redirect in enumerate(redirects)
        ]
        cancels = [
            asyncio.create_task(
                until_definite(
                    fleet,
                    CANCEL,
                    {
                        "buyer": "alice",
                        "orderName": order["orderName"],
                        "orderId": order["orderId"],
                        "reason": "changed my mind",
                        "idempotencyKey": f"rolling-{order['orderId']}",
                    },
                    alice,
                    seen,
                    after=(index * 3 + 1) * BURST_SPACING,
                )
            )
            for index, order in enumerate(to_cancel)
        ]

        # The burst has reached the instance: requests to it are in flight at the SIGTERM, and
        # the rest of the burst meets it stopping or stopped.
        await eventually(
            lambda: fleet.in_flight[restarted.url] > 0, "a request in flight to the instance"
        )
        restarted.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(restarted.process.wait, 30) == 0
        again = await asyncio.to_thread(
            stack.enter_context,
            serve_api(
                tmp_path,
                clean_database,
                sandbox_server.url,
                "restarted-again",
                port=restarted_port,
                settings=settings,
            ),
        )
        confirmed = await asyncio.gather(*confirms)
        canceled = await asyncio.gather(*cancels)
        (await reset_sandbox.post("/admin/reset")).raise_for_status()

        assert all(payload["order"]["status"] == "PAID" for payload in confirmed)
        assert all(payload["order"]["status"] == "CANCELED" for payload in canceled)
        # The restart was felt: some request met the stopping or the stopped instance.
        assert any(not kind.endswith("definite") for kind in seen), seen
        assert seen["200 definite"] == CONFIRMS + CANCELS
        for server in (steady, restarted, again):
            assert "Traceback" not in server.log(), server.log()

        # Nothing left open for the reconciler, and the books equal Toss's record.
        run = reconcile(clean_database, sandbox_server.url, tmp_path)
        assert "examined 0" in run.stdout, run.stdout
        async with httpx.AsyncClient(base_url=steady.url, timeout=30) as api:
            for order in [*to_confirm, *to_cancel]:
                ours = await order_status(api, alice, order["orderId"])
                theirs = await toss_payment(reset_sandbox, order["orderId"])
                expected = {"DONE": "PAID", "CANCELED": "CANCELED"}[theirs["status"]]
                assert ours["status"] == expected, (ours, theirs)
                balance = (ours["payment"] or {}).get("balanceAmount", 0)
                assert balance == theirs["balanceAmount"], (ours, theirs)
                assert sum(c["cancelAmount"] for c in theirs["cancels"] or []) == (
                    order["amount"] if expected == "CANCELED" else 0
                )
