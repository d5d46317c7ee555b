"""A new user's first run: `seed-demo` and `serve` with the built-in sandbox, no keys, then
the whole payment flow over real HTTP as a browser and a front end perform it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.e2e.conftest import serve_api
from tests.support.flows import (
    CANCEL,
    CONFIRM,
    CREATE_ORDER,
    ORDER,
    checkout_form,
    redirect_query,
)
from tests.support.servers import (
    SERVICE_SETTINGS,
    ServerProcess,
    free_port,
    newcomer_server,
    printed,
    printed_line,
    run_cli,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with newcomer_server(tmp_path_factory.mktemp("first-run")) as server:
        yield server


def test_serve_prints_graphiql_and_ready_tokens(first_run: ServerProcess) -> None:
    link = urlsplit(printed(first_run, "GraphiQL"))
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{first_run.url}/graphql"
    # The link opens GraphiQL with the demo buyer's header and a first query filled in.
    filled = dict(parse_qsl(link.fragment))
    token = printed(first_run, "Demo buyer token")
    assert json.loads(filled["headers"]) == {"Authorization": f"Bearer {token}"}
    assert "orders" in filled["query"]
    assert "built-in sandbox" in first_run.log()
    assert printed(first_run, "Storefront") == f"{first_run.url}/demo/"
    # Where the data lives, in full: another directory would hold another database and secret.
    var = first_run.log_path.parent / "var"
    assert printed_line(first_run, "Database") == f"SQLite file {var.resolve() / 'toss-graphql.db'}"
    assert printed(first_run, "Token secret") == str(var.resolve() / "jwt-secret")
    modes = "trusted documents only off, subscriptions on, tracing off"
    assert printed_line(first_run, "Modes") == modes
    assert "Catalog:" not in first_run.log()  # seed-demo ran first
    page = httpx.get(f"{first_run.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_order_is_paid_through_the_hosted_checkout(first_run: ServerProcess) -> None:
    token = printed(first_run, "Demo buyer token")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=first_run.url, headers=headers) as api:
        created = api.post(
            "/graphql",
            json={
                "query": CREATE_ORDER,
                "variables": {"input": {"lines": [{"sku": "americano", "quantity": 2}]}},
            },
        ).json()["data"]["createOrder"]
        assert created["errors"] == []
        order = created["order"]
        assert order["amount"] == 9000

        checkout = {
            "clientKey": "test_ck_sandbox",
            "orderId": order["orderId"],
            "orderName": order["orderName"],
            "amount": str(order["amount"]),
            "successUrl": "https://shop.example/success?from=checkout",
            "failUrl": "https://shop.example/fail",
        }
        page = httpx.get(f"{first_run.url}/sandbox/checkout", params=checkout)
        assert page.status_code == 200
        assert "9,000" in page.text or "9000" in page.text
        approved = httpx.post(
            f"{first_run.url}/sandbox/checkout", data={**checkout, "decision": "approve"}
        )
        assert approved.status_code == 303
        redirect = dict(parse_qsl(urlsplit(approved.headers["location"]).query))
        assert redirect["paymentType"] == "NORMAL" and redirect["from"] == "checkout"

        confirmed = api.post(
            "/graphql",
            json={
                "query": CONFIRM,
                "variables": {
                    "paymentKey": redirect["paymentKey"],
                    "orderId": redirect["orderId"],
                    "amount": int(redirect["amount"]),
                },
            },
        ).json()["data"]["confirmPayment"]
        assert confirmed["errors"] == []
        assert confirmed["order"]["status"] == "PAID"

        shown = api.post(
            "/graphql", json={"query": ORDER, "variables": {"orderId": order["orderId"]}}
        ).json()["data"]["order"]
        assert shown["status"] == "PAID"
        assert shown["payment"]["paymentKey"] == redirect["paymentKey"]

    at_toss = httpx.get(
        f"{first_run.url}/sandbox/v1/payments/{redirect['paymentKey']}",
        auth=("test_sk_sandbox", ""),
    ).json()
    assert (at_toss["status"], at_toss["totalAmount"]) == ("DONE", 9000)

    # The built-in Toss sends its PAYMENT_STATUS_CHANGED webhook to this service, which takes it.
    deadline = time.monotonic() + 10
    while True:
        deliveries = httpx.get(
            f"{first_run.url}/sandbox/admin/webhooks", params={"orderId": order["orderId"]}
        ).json()["deliveries"]
        if any(d["status"] == "DELIVERED" and d["lastStatus"] == 200 for d in deliveries):
            break
        assert time.monotonic() < deadline, deliveries
        time.sleep(0.1)


def test_paid_order_is_canceled_by_buyer_and_order_name(first_run: ServerProcess) -> None:
    token = printed(first_run, "Demo buyer token")
    with httpx.Client(base_url=first_run.url, headers={"Authorization": f"Bearer {token}"}) as api:
        order = api.post(
            "/graphql",
            json={"query": CREATE_ORDER, "variables": {"input": {"lines": [{"sku": "beans-1kg"}]}}},
        ).json()["data"]["createOrder"]["order"]
        redirect = redirect_query(
            httpx.post(f"{first_run.url}/sandbox/checkout", data=checkout_form(order))
        )
        api.post(
            "/graphql",
            json={
                "query": CONFIRM,
                "variables": {
                    "paymentKey": redirect["paymentKey"],
                    "orderId": order["orderId"],
                    "amount": order["amount"],
                },
            },
        ).raise_for_status()

        canceled = api.post(
            "/graphql",
            json={
                "query": CANCEL,
                "variables": {
                    "buyer": "demo-buyer",
                    "orderName": "원두 1kg",
                    "reason": "단순 변심",
                },
            },
        ).json()["data"]["cancelPayment"]
        assert canceled["errors"] == []
        assert canceled["order"]["status"] == "CANCELED"
        assert canceled["cancel"]["cancelAmount"] == 32000

        listed = api.post(
            "/graphql",
            json={"query": "{ cancels { edges { node { orderId cancelAmount cancelReason } } } }"},
        ).json()["data"]["cancels"]["edges"]
        assert {
            "orderId": order["orderId"],
            "cancelAmount": 32000,
            "cancelReason": "단순 변심",
        } in [edge["node"] for edge in listed]

    at_toss = httpx.get(
        f"{first_run.url}/sandbox/v1/payments/{redirect['paymentKey']}",
        auth=("test_sk_sandbox", ""),
    ).json()
    assert (at_toss["status"], at_toss["balanceAmount"]) == ("CANCELED", 0)


def _confirm_calls(server: ServerProcess) -> int:
    return len(
        httpx.get(
            f"{server.url}/sandbox/admin/requests", params={"path": "/v1/payments/confirm"}
        ).json()["requests"]
    )


def test_tampered_amount_is_refused_over_http(first_run: ServerProcess) -> None:
    token = printed(first_run, "Demo buyer token")
    calls_before = _confirm_calls(first_run)
    with httpx.Client(base_url=first_run.url, headers={"Authorization": f"Bearer {token}"}) as api:
        order = api.post(
            "/graphql",
            json={"query": CREATE_ORDER, "variables": {"input": {"lines": [{"sku": "americano"}]}}},
        ).json()["data"]["createOrder"]["order"]
        answer = api.post(
            "/graphql",
            json={
                "query": CONFIRM,
                "variables": {
                    "paymentKey": "tgen_forged",
                    "orderId": order["orderId"],
                    "amount": 100,
                },
            },
        ).json()["data"]["confirmPayment"]
    assert answer["errors"][0]["code"] == "AMOUNT_MISMATCH"
    assert _confirm_calls(first_run) == calls_before


def test_serve_on_an_empty_catalog_points_to_seed_demo(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"TOSS_GRAPHQL_VAR_DIR": str(tmp_path / "elsewhere")}
    with run_cli(
        ["serve", "--port", str(port)], env, f"{url}/readyz", url, tmp_path / "s.log"
    ) as api:
        database = tmp_path.resolve() / "elsewhere" / "toss-graphql.db"
        assert printed_line(api, "Database") == f"SQLite file {database}"
        assert "toss-graphql seed-demo" in printed_line(api, "Catalog")


def test_token_command_prints_one_verifiable_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    env["TOSS_GRAPHQL_VAR_DIR"] = str(tmp_path)
    output = subprocess.run(
        [sys.executable, "-m", "toss_graphql.cli", "token", "alice", "--admin"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = output.strip()
    assert output == token + "\n" and token.count(".") == 2
    from toss_graphql.auth import TokenVerifier
    from toss_graphql.config import Settings

    # The development secret the command generated and kept in the var directory.
    verifier = TokenVerifier.from_settings(Settings(toss_graphql_var_dir=tmp_path))
    principal = verifier.verify(token)
    assert (principal.subject, principal.is_admin) == ("alice", True)


def test_the_standalone_sandbox_says_where_it_listens_and_which_keys_it_takes(
    tmp_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"TOSS_GRAPHQL_VAR_DIR": str(tmp_path)}
    with run_cli(
        ["sandbox", "--port", str(port)], env, f"{url}/admin/clock", url, tmp_path / "s.log"
    ) as sandbox:
        assert printed(sandbox, "Toss sandbox") == url
        assert printed(sandbox, "Secret key") == "test_sk_sandbox"
        assert printed(sandbox, "Checkout").startswith(f"{url}/checkout?clientKey=test_ck_sandbox")
        assert printed(sandbox, "Browser SDK") == f"{url}/v2/standard"


def test_a_sandbox_given_a_key_of_its_own_never_prints_it(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    own_key = "test_sk_" + "k" * 24
    env = {"TOSS_GRAPHQL_VAR_DIR": str(tmp_path), "TOSS_SECRET_KEY": own_key}
    with run_cli(
        ["sandbox", "--port", str(port)], env, f"{url}/admin/clock", url, tmp_path / "s.log"
    ) as sandbox:
        assert printed_line(sandbox, "Secret key").startswith("the one in TOSS_SECRET_KEY")
        assert own_key not in sandbox.log()


def test_serve_against_toss_says_how_the_checkout_opens(
    migrated_database: str, sandbox_server: ServerProcess, tmp_path: Path
) -> None:
    settings = {"TOSS_CLIENT_KEY": "test_ck_shop"}
    with serve_api(tmp_path, migrated_database, sandbox_server.url, settings=settings) as api:
        checkout_line = printed_line(api, "Checkout")
    assert "https://js.tosspayments.com/v2/standard" in checkout_line
    assert checkout_line.endswith("with the client key test_ck_shop")
