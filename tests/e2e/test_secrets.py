"""No secret key, token or card data in the logs or the audit trail of a full flow, even with
logging at DEBUG."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.support.flows import CANCEL, CONFIRM, CREATE_ORDER, checkout_form, redirect_query
from tests.support.servers import free_port, run_cli
from toss_graphql.auth import issue_token
from toss_graphql.config import SANDBOX_SECRET_KEY
from toss_graphql.domain.models import Role

pytestmark = pytest.mark.e2e

JWT_SECRET = "secrets-test-jwt-secret-that-must-never-leak-0123456789"


def test_a_full_flow_leaks_no_secret(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "TOSS_GRAPHQL_VAR_DIR": str(tmp_path / "var"),
        "AUTH_JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "DEBUG",
        "RECONCILE_INTERVAL_SECONDS": "0.5",
    }
    buyer = issue_token(JWT_SECRET, "alice")
    admin = issue_token(JWT_SECRET, "ops", Role.ADMIN)
    with run_cli(
        ["serve", "--port", str(port)], env, f"{url}/readyz", url, tmp_path / "serve.log"
    ) as server:
        with httpx.Client(base_url=url, timeout=30) as api:

            def ask(query: str, variables: dict[str, object], token: str) -> dict[str, object]:
                response = api.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
                return dict(response.json())

            created = ask(
                CREATE_ORDER,
                {"input": {"orderName": "비밀 상품", "amount": 50000, "buyer": "alice"}},
                admin,
            )
            order = created["data"]["createOrder"]["order"]  # type: ignore[index]
            redirect = redirect_query(api.post("/sandbox/checkout", data=checkout_form(order)))
            ask(
                CONFIRM,
                {
                    "paymentKey": redirect["paymentKey"],
                    "orderId": order["orderId"],
                    "amount": order["amount"],
                },
                buyer,
            )
            ask(
                CANCEL,
                {"buyer": "alice", "orderName": "비밀 상품", "reason": "부분", "amount": 10000},
                buyer,
            )
            ask(CANCEL, {"buyer": "alice", "orderName": "비밀 상품", "reason": "나머지"}, buyer)
            ask(CONFIRM, {"paymentKey": "x", "orderId": order["orderId"], "amount": 1}, buyer)
            api.post(
                "/graphql",
                json={"query": "{ orders { edges { cursor } } }"},
                headers={"Authorization": "Bearer forged.token.value"},
            )
            card = api.get(
                f"/sandbox/v1/payments/{redirect['paymentKey']}", auth=(SANDBOX_SECRET_KEY, "")
            ).json()["card"]
        log = server.log()

    secrets = {
        "Toss secret key": SANDBOX_SECRET_KEY,
        "Basic credentials": base64.b64encode(f"{SANDBOX_SECRET_KEY}:".encode()).decode(),
        "JWT secret": JWT_SECRET,
        "buyer token": buyer,
        "admin token": admin,
        "buyer token signature": buyer.rsplit(".", 1)[1],
        "card number": card["number"],
        "card approval number": card["approveNo"],
    }
    assert "POST /graphql" in log, "the log was captured"
    for name, value in secrets.items():
        assert value not in log, f"{name} found in the server log"

    database = sqlite3.connect(tmp_path / "var" / "toss-graphql.db")
    try:
        audit = "\n".join(
            " ".join(str(column) for column in row)
            for row in database.execute("SELECT * FROM payment_events")
        )
        inbox = "\n".join(
            " ".join(str(column) for column in row)
            for row in database.execute("SELECT * FROM webhook_inbox")
        )
    finally:
        database.close()
    assert "CONFIRM_APPROVED" in audit
    for name, value in secrets.items():
        assert value not in audit, f"{name} found in payment_events"
        assert value not in inbox, f"{name} found in webhook_inbox"
