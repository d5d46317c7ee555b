"""Orders paid through Toss's payment widget and through its payment window, side by side, on
a real `serve` holding both key sets, against the sandbox over loopback HTTP: each payment is
confirmed and canceled with the secret key of the set that started it, as the sandbox's
request log shows; and the key mix-ups Toss refuses stop `serve` at start."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from tests.conftest import token_for
from tests.support.flows import cancel, checkout, confirm, graphql
from tests.support.servers import SERVICE_SETTINGS, free_port
from toss_graphql.config import SANDBOX_WIDGET_CLIENT_KEY, SANDBOX_WIDGET_SECRET_KEY

SERVE_SETTINGS = {"TOSS_WIDGET_SECRET_KEY": SANDBOX_WIDGET_SECRET_KEY}

CREATE = """
mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) {
    order { orderId orderName amount status checkout }
    errors { code message field }
  }
}"""


async def _order(client: httpx.AsyncClient, token: str, checkout_kind: str | None) -> Any:
    order_input: dict[str, Any] = {"lines": [{"sku": "americano", "quantity": 2}]}
    if checkout_kind is not None:
        order_input["checkout"] = checkout_kind
    payload = (await graphql(client, CREATE, {"input": order_input}, token))["data"]["createOrder"]
    assert payload["errors"] == [], payload
    return payload["order"]


async def _key_sets(sandbox: httpx.AsyncClient, path: str) -> list[str]:
    response = await sandbox.get("/admin/requests", params={"path": path})
    response.raise_for_status()
    return [entry["keySet"] for entry in response.json()["requests"]]


@pytest.mark.parametrize(
    ("checkout_kind", "client_key", "key_set"),
    [
        ("WIDGET", SANDBOX_WIDGET_CLIENT_KEY, "WIDGET"),
        (None, "test_ck_sandbox", "API_INDIVIDUAL"),
    ],
)
async def test_each_order_is_confirmed_and_canceled_with_its_checkouts_secret_key(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    checkout_kind: str | None,
    client_key: str,
    key_set: str,
) -> None:
    alice = token_for("alice")
    order = await _order(served_client, alice, checkout_kind)
    redirect = await checkout(reset_sandbox, order, clientKey=client_key, method="TOSSPAY")
    confirmed = await confirm(served_client, alice, redirect)
    canceled = await cancel(
        served_client,
        alice,
        {"buyer": "alice", "orderName": order["orderName"], "reason": "단순 변심"},
    )

    assert order["checkout"] == (checkout_kind or "PAYMENT_WINDOW")
    assert confirmed["errors"] == [], confirmed
    assert (confirmed["order"]["status"], confirmed["payment"]["method"]) == ("PAID", "간편결제")
    assert canceled["errors"] == [], canceled
    assert canceled["order"]["status"] == "CANCELED"
    payment_key = redirect["paymentKey"]
    assert (await _key_sets(reset_sandbox, "/v1/payments/confirm"))[-1] == key_set
    assert await _key_sets(reset_sandbox, f"/v1/payments/{payment_key}/cancel") == [key_set]


async def test_a_widget_order_paid_with_an_api_client_key_is_refused_by_toss(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient
) -> None:
    """The front end used the window's client key for an order made for the widget: the
    confirm goes out with the widget's secret key, and Toss refuses the pairing."""
    alice = token_for("alice")
    order = await _order(served_client, alice, "WIDGET")
    redirect = await checkout(reset_sandbox, order, clientKey="test_ck_sandbox")

    refused = await confirm(served_client, alice, redirect)

    assert [(error["code"], error["gatewayCode"]) for error in refused["errors"]] == [
        ("PAYMENT_REJECTED", "INVALID_API_KEY")
    ]
    assert refused["order"]["status"] == "FAILED"


def _serve_refusal(directory: str, **keys: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    return subprocess.run(
        [sys.executable, "-m", "toss_graphql.cli", "serve", "--port", str(free_port())],
        env={**inherited, "TOSS_GRAPHQL_VAR_DIR": directory, **keys},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("keys", "named"),
    [
        ({"TOSS_SECRET_KEY": "test_gsk_misplaced_widget_key"}, "TOSS_SECRET_KEY holds"),
        ({"TOSS_WIDGET_SECRET_KEY": "test_sk_misplaced_api_key"}, "TOSS_WIDGET_SECRET_KEY holds"),
        (
            {"TOSS_SECRET_KEY": "live_sk_a_live_secret", "TOSS_CLIENT_KEY": "test_ck_a_test"},
            "TOSS_SECRET_KEY is a live key but TOSS_CLIENT_KEY is a test key",
        ),
        (
            {"TOSS_WIDGET_SECRET_KEY": "test_gsk_widget", "TOSS_WIDGET_CLIENT_KEY": "test_ck_api"},
            "TOSS_WIDGET_CLIENT_KEY holds",
        ),
    ],
)
def test_serve_refuses_a_key_mix_up_at_start_naming_the_variable(
    tmp_path: Any, keys: dict[str, str], named: str
) -> None:
    refused = _serve_refusal(str(tmp_path), **keys)

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert named in refused.stderr
    assert "Traceback" not in refused.stderr
    output = refused.stdout + refused.stderr
    for key in keys.values():
        assert key not in output
