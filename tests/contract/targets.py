"""The servers the contract runs against, and the buyer's and merchant's steps that bring a
payment to the state a case starts from (sandbox only: Toss's window needs a person)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Final

import httpx

from tests.contract.cases import CANCEL_REASON, CHECKOUT_AMOUNT, PARTIAL_CANCEL_AMOUNT
from tests.contract.contract import Auth, Given
from toss_graphql.config import SANDBOX_CLIENT_KEY, SANDBOX_WIDGET_CLIENT_KEY

TOSS_API_URL: Final = "https://api.tosspayments.com"
SECRET_KEY_VARIABLE: Final = "TOSS_LIVE_SECRET_KEY"
WIDGET_SECRET_KEY_VARIABLE: Final = "TOSS_LIVE_WIDGET_SECRET_KEY"
WRONG_SECRET_KEY: Final = "test_sk_contractWrongKey00000000"
SUCCESS_URL: Final = "https://shop.example/payments/success"
FAIL_URL: Final = "https://shop.example/payments/fail"
# Toss processes only the first of two cancels of one paymentKey within a second
# (toss-api.md §2.4); a margin keeps the next cancel clear of that window.
CONSECUTIVE_CANCEL_WINDOW_SECONDS: Final = 1.05


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    base_url: str
    secret_key: str
    # None: the target's widget key set is not known here (Toss without its variable).
    widget_secret_key: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """The payment a case starts from, named as the case's templates name it."""

    payment_key: str
    order_id: str

    def names(self) -> dict[str, str]:
        return {"paymentKey": self.payment_key, "orderId": self.order_id}


NO_ORDER: Final = Order(payment_key="", order_id="")


def basic_auth(secret_key: str, *, colon: bool = True) -> str:
    credentials = f"{secret_key}:" if colon else secret_key
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def authorization(auth: Auth, target: Target) -> dict[str, str]:
    if auth is Auth.NONE:
        return {}
    if auth is Auth.WRONG_KEY:
        return {"Authorization": basic_auth(WRONG_SECRET_KEY)}
    if auth is Auth.WIDGET_KEY:
        assert target.widget_secret_key is not None, "the test skips a target without one"
        return {"Authorization": basic_auth(target.widget_secret_key)}
    return {"Authorization": basic_auth(target.secret_key, colon=auth is Auth.SECRET_KEY)}


def new_order_id() -> str:
    return f"contract-{time.time_ns()}"


def approve_checkout(
    client: httpx.Client,
    order_id: str,
    amount: int = CHECKOUT_AMOUNT,
    client_key: str = SANDBOX_CLIENT_KEY,
) -> str:
    """Approve the sandbox's payment window as a buyer; the paymentKey sent to successUrl."""
    response = client.post(
        "/checkout",
        data={
            "clientKey": client_key,
            "orderId": order_id,
            "orderName": "계약 시험 주문",
            "amount": str(amount),
            "successUrl": SUCCESS_URL,
            "failUrl": FAIL_URL,
            "decision": "approve",
        },
    )
    assert response.status_code == 303, response.text
    redirect = httpx.URL(response.headers["location"])
    assert str(redirect).startswith(SUCCESS_URL)
    assert redirect.params["orderId"] == order_id
    assert redirect.params["amount"] == str(amount)
    return redirect.params["paymentKey"]


def _merchant_call(
    client: httpx.Client, secret_key: str, path: str, body: dict[str, object]
) -> None:
    response = client.post(path, json=body, headers={"Authorization": basic_auth(secret_key)})
    assert response.status_code == 200, response.text


def prepare(
    client: httpx.Client, secret_key: str, given: Given, *, cancel_follows: bool = False
) -> Order:
    """A payment in the state `given` names, reached as buyer and merchant would reach it.

    `cancel_follows` waits out Toss's consecutive-cancel window when `given` ends with one.
    """
    if not given.needs_checkout:
        return NO_ORDER
    order_id = new_order_id()
    if given is Given.AUTHENTICATED_BY_WIDGET:
        return Order(
            approve_checkout(client, order_id, client_key=SANDBOX_WIDGET_CLIENT_KEY), order_id
        )
    order = Order(approve_checkout(client, order_id), order_id)
    if given is Given.AUTHENTICATED:
        return order
    confirm = {"paymentKey": order.payment_key, "orderId": order_id, "amount": CHECKOUT_AMOUNT}
    _merchant_call(client, secret_key, "/v1/payments/confirm", confirm)
    if given is Given.DONE:
        return order
    cancel: dict[str, object] = {"cancelReason": CANCEL_REASON}
    if given is Given.PARTIAL_CANCELED:
        cancel["cancelAmount"] = PARTIAL_CANCEL_AMOUNT
    _merchant_call(client, secret_key, f"/v1/payments/{order.payment_key}/cancel", cancel)
    if cancel_follows:
        time.sleep(CONSECUTIVE_CANCEL_WINDOW_SECONDS)
    return order
