"""`toss-graphql serve` with APP_ENV=production, as an operator starts it: what its log shows,
what a client behind no proxy can claim about itself, and what the API tells strangers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import JWT_SECRET, token_for
from tests.e2e.conftest import serve_api
from tests.support.servers import SERVICE_SETTINGS, ServerProcess
from toss_graphql.auth import issue_token
from toss_graphql.domain.models import Role

pytestmark = pytest.mark.e2e

MUTATIONS_PER_ADDRESS = 3
FAIL_UNKNOWN_ORDER = """
mutation { failPayment(orderId: "no-such-order", code: "USER_CANCEL") { errors { code } } }"""
# Any JWT: three base64url parts, the first of them a JSON header ("{" is "ey").
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


@pytest.fixture(scope="module")
def production(
    tmp_path_factory: pytest.TempPathFactory, sandbox_server: ServerProcess
) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("production")
    database = f"sqlite+aiosqlite:///{directory / 'toss-graphql.db'}"
    settings = {
        "APP_ENV": "production",
        "RATE_LIMIT_PER_ADDRESS": str(MUTATIONS_PER_ADDRESS),
        "RATE_LIMIT_ANONYMOUS_PER_ADDRESS": "1000",
    }
    with serve_api(directory, database, sandbox_server.url, settings=settings) as server:
        yield server


def test_production_start_up_prints_no_token(production: ServerProcess) -> None:
    log = production.log()
    assert "Tokens:" in log  # the banner was printed, and it is this log
    # GraphiQL is off in production, so no link to it either.
    assert "GraphiQL" not in log
    assert not JWT.search(log), log
    assert "token:" not in log.lower()
    assert JWT_SECRET not in log


def test_forwarded_for_from_an_untrusted_peer_does_not_move_the_rate_limit(
    production: ServerProcess,
) -> None:
    answers = []
    with httpx.Client(base_url=production.url) as client:
        for attempt in range(MUTATIONS_PER_ADDRESS + 1):
            response = client.post(
                "/graphql",
                json={"query": FAIL_UNKNOWN_ORDER},
                headers={
                    # A new buyer and a new claimed address each time: only the real peer
                    # address is shared, and it alone must be counted.
                    "Authorization": f"Bearer {token_for(f'buyer-{attempt}')}",
                    "X-Forwarded-For": f"203.0.113.{attempt + 1}",
                },
            )
            answers.append(response.json()["data"]["failPayment"]["errors"][0]["code"])
    assert answers == ["ORDER_NOT_FOUND"] * MUTATIONS_PER_ADDRESS + ["RATE_LIMITED"]


@pytest.mark.parametrize(
    ("document", "hint"),
    [
        ("{ orders(frist: 1) { edges { cursor } } }", "'first'"),
        ("{ orders(status: PAI) { edges { cursor } } }", "'PAID'"),
        ("{ ordres { edges { cursor } } }", "'orders'"),
        ("query Q($s: OrderStatu) { orders(status: $s) { edges { cursor } } }", "OrderStatus"),
        ("query Q($s: OrderStatus) { orders(status: $s) { edges { cursor } } }", "'PAID'"),
    ],
)
def test_production_errors_suggest_nothing(
    production: ServerProcess, document: str, hint: str
) -> None:
    response = httpx.post(
        f"{production.url}/graphql",
        json={"query": document, "variables": {"s": "PAI"}},
        headers={"Authorization": f"Bearer {token_for('alice')}"},
    )
    messages = " ".join(error["message"] for error in response.json()["errors"])
    assert messages  # refused, and the refusal is what is checked
    assert "Did you mean" not in messages
    assert hint not in messages


def test_production_metrics_need_the_metrics_scope(production: ServerProcess) -> None:
    metrics = f"{production.url}/metrics"
    anonymous = httpx.get(metrics)
    buyer = httpx.get(metrics, headers={"Authorization": f"Bearer {token_for('alice')}"})
    scoped = issue_token(JWT_SECRET, "prometheus", Role.SERVICE, scopes=("metrics",))
    scraper = httpx.get(metrics, headers={"Authorization": f"Bearer {scoped}"})
    assert (anonymous.status_code, buyer.status_code) == (401, 403)
    assert "toss_graphql_orders" not in anonymous.text + buyer.text
    assert scraper.status_code == 200
    assert 'toss_graphql_orders{status="PAID"}' in scraper.text


def metrics_token(directory: Path) -> str:
    """What the documented `toss-graphql token prometheus --metrics` prints (docs/operations.md)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    env.update({"AUTH_JWT_SECRET": JWT_SECRET, "TOSS_GRAPHQL_VAR_DIR": str(directory)})
    command = str(Path(sys.executable).parent / "toss-graphql")
    printed = subprocess.run(
        [command, "token", "prometheus", "--metrics"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return printed.stdout.strip()


def test_the_metrics_token_reads_metrics_and_nothing_else(
    production: ServerProcess, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {metrics_token(tmp_path)}"}
    scraped = httpx.get(f"{production.url}/metrics", headers=headers)
    assert scraped.status_code == 200
    assert 'toss_graphql_orders{status="PAID"}' in scraped.text
    # The GraphQL API refuses it as it refuses any token it does not take.
    create = """mutation { createOrder(input: {buyer: "victim", orderName: "x", amount: 1,
        lines: []}) { order { orderId } errors { code } } }"""
    for document in (create, "{ orders(first: 1) { edges { cursor } } }"):
        answer = httpx.post(f"{production.url}/graphql", json={"query": document}, headers=headers)
        body = answer.json()
        assert body.get("data") is None, body
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body


def test_development_start_up_still_prints_ready_tokens(
    tmp_path: Path, sandbox_server: ServerProcess
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'toss-graphql.db'}"
    with serve_api(tmp_path, database, sandbox_server.url) as server:
        printed = re.search(r"^Demo buyer token:\s+(\S+)", server.log(), re.MULTILINE)
    assert printed is not None and JWT.fullmatch(printed.group(1))
