"""Steps of the payment flow as a front end performs them, for integration and e2e tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from toss_graphql.config import SANDBOX_CLIENT_KEY

CREATE_ORDER = """
mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) {
    order { orderId buyer orderName amount status }
    errors { code message field gatewayCode }
  }
}"""

CONFIRM = """
mutation Confirm($paymentKey: String!, $orderId: ID!, $amount: Int!) {
  confirmPayment(paymentKey: $paymentKey, orderId: $orderId, amount: $amount) {
    order { orderId status amount failure { code message } }
    payment { paymentKey method totalAmount balanceAmount approvedAt receiptUrl }
    errors { code message field gatewayCode }
  }
}"""

FAIL = """
mutation Fail($orderId: ID!, $code: String!, $message: String) {
  failPayment(orderId: $orderId, code: $code, message: $message) {
    order { orderId status failure { code message } }
    errors { code message field }
  }
}"""

ORDER = """
query Order($orderId: ID!) {
  order(orderId: $orderId) {
    orderId buyer orderName amount status failure { code message }
    payment { paymentKey method totalAmount balanceAmount approvedAt receiptUrl }
  }
}"""


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """POSTs a document and returns the whole JSON answer, asserting it is never a 500."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code < 500, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_order(
    client: httpx.AsyncClient, token: str, order_input: dict[str, Any]
) -> dict[str, Any]:
    body = await graphql(client, CREATE_ORDER, {"input": order_input}, token)
    payload: dict[str, Any] = body["data"]["createOrder"]
    assert payload["errors"] == [], payload
    order: dict[str, Any] = payload["order"]
    return order


async def order_status(client: httpx.AsyncClient, token: str, order_id: str) -> dict[str, Any]:
    """The order as the `order` query shows it to the holder of `token`."""
    shown: dict[str, Any] = (await graphql(client, ORDER, {"orderId": order_id}, token))["data"][
        "order"
    ]
    return shown


def checkout_form(order: dict[str, Any], decision: str = "approve", **extra: str) -> dict[str, str]:
    """The hosted checkout's form, as a browser posts it for `order`."""
    return {
        "clientKey": SANDBOX_CLIENT_KEY,
        "orderId": order["orderId"],
        "orderName": order["orderName"],
        "amount": str(order["amount"]),
        "successUrl": "https://shop.example/success",
        "failUrl": "https://shop.example/fail",
        "decision": decision,
        **extra,
    }


def redirect_query(response: httpx.Response) -> dict[str, str]:
    """The query Toss's redirect hands the success or fail page."""
    assert response.status_code == 303, response.text
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))


async def checkout(
    sandbox: httpx.AsyncClient, order: dict[str, Any], decision: str = "approve", **extra: str
) -> dict[str, str]:
    """Posts the hosted checkout form as a browser does; returns the redirect's query."""
    response = await sandbox.post(
        "/checkout", data=checkout_form(order, decision, **extra), follow_redirects=False
    )
    return redirect_query(response)


async def confirm(
    client: httpx.AsyncClient, token: str, redirect: dict[str, str], amount: int | None = None
) -> dict[str, Any]:
    body = await graphql(
        client,
        CONFIRM,
        {
            "paymentKey": redirect["paymentKey"],
            "orderId": redirect["orderId"],
            "amount": int(redirect["amount"]) if amount is None else amount,
        },
        token,
    )
    payload: dict[str, Any] = body["data"]["confirmPayment"]
    return payload


async def confirm_calls(sandbox: httpx.AsyncClient) -> int:
    """How many confirm requests reached the sandbox so far."""
    response = await sandbox.get("/admin/requests", params={"path": "/v1/payments/confirm"})
    response.raise_for_status()
    return len(response.json()["requests"])


CANCEL = """
mutation Cancel($buyer: String!, $orderName: String!, $reason: String!, $amount: Int,
                $orderId: ID, $idempotencyKey: String) {
  cancelPayment(buyer: $buyer, orderName: $orderName, reason: $reason, amount: $amount,
                orderId: $orderId, idempotencyKey: $idempotencyKey) {
    order { orderId status payment { balanceAmount } cancels { transactionKey cancelAmount } }
    cancel { transactionKey orderId paymentKey buyer orderName cancelAmount cancelReason
             canceledAt }
    errors { code message field gatewayCode }
  }
}"""


async def cancel(
    client: httpx.AsyncClient, token: str, variables: dict[str, Any]
) -> dict[str, Any]:
    body = await graphql(client, CANCEL, variables, token)
    payload: dict[str, Any] = body["data"]["cancelPayment"]
    return payload


async def paid_order(
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    token: str,
    order_input: dict[str, Any],
) -> dict[str, Any]:
    """An order created, checked out and confirmed: ready to cancel."""
    order = await create_order(api, token, order_input)
    payload = await confirm(api, token, await checkout(sandbox, order))
    assert payload["errors"] == [], payload
    return order


async def toss_payment(sandbox: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    """The sandbox's own record of the order's payment."""
    response = await sandbox.get(f"/v1/payments/orders/{order_id}", auth=("test_sk_sandbox", ""))
    response.raise_for_status()
    payment: dict[str, Any] = response.json()
    return payment
