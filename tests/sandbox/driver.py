"""Helpers that drive a sandbox the way a merchant's server and a buyer's browser would."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

import httpx

SECRET_KEY = "test_sk_sandbox"
CLIENT_KEY = "test_ck_merchant"
SUCCESS_URL = "https://shop.example/payments/success"
FAIL_URL = "https://shop.example/payments/fail"
CONFIRM_PATH = "/v1/payments/confirm"
CANCEL_REASON = "고객 변심"
VIRTUAL_ACCOUNT = "VIRTUAL_ACCOUNT"
# A well-formed refund account: 신한 (88), digits only, a holder name.
REFUND_ACCOUNT = {"bank": "88", "accountNumber": "110123456789", "holderName": "김토스"}
_WINDOW_PAYMENT_KEY = re.compile(r'name="paymentKey" value="([^"]*)"')


def cancel_path(payment_key: str) -> str:
    return f"/v1/payments/{payment_key}/cancel"


def basic_auth(secret_key: str = SECRET_KEY, *, colon: bool = True) -> str:
    credentials = f"{secret_key}:" if colon else secret_key
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def new_order_id() -> str:
    return f"order-{secrets.token_hex(8)}"


class MovableClock:
    """A clock tests move forward to cross Toss's time limits."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class SteppingClock(MovableClock):
    """A clock that moves `step` forward every time it is read."""

    def __init__(self, now: datetime, step: timedelta) -> None:
        super().__init__(now)
        self.step = step

    def __call__(self) -> datetime:
        now = self.now
        self.advance(self.step)
        return now


def checkout_form(order_id: str, amount: int = 10_000, **overrides: str) -> dict[str, str]:
    form = {
        "clientKey": CLIENT_KEY,
        "orderId": order_id,
        "orderName": "토스 티셔츠 외 2건",
        "amount": str(amount),
        "successUrl": SUCCESS_URL,
        "failUrl": FAIL_URL,
        "decision": "approve",
    }
    form.update(overrides)
    return form


def _post_headers(idempotency_key: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    headers = {"Authorization": basic_auth()}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    headers.update(extra or {})
    return headers


def _timeout(seconds: float | None) -> dict[str, Any]:
    return {} if seconds is None else {"timeout": httpx.Timeout(5.0, read=seconds)}


class SandboxDriver:
    def __init__(self, client: httpx.AsyncClient, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix

    async def submit_checkout(
        self, order_id: str, amount: int = 10_000, **overrides: str
    ) -> httpx.Response:
        return await self.client.post(
            f"{self.prefix}/checkout", data=checkout_form(order_id, amount, **overrides)
        )

    async def approve_checkout(self, order_id: str, amount: int = 10_000, **overrides: str) -> str:
        """Approve a checkout as the buyer would; the paymentKey handed to successUrl."""
        response = await self.submit_checkout(order_id, amount, **overrides)
        assert response.status_code == 303, response.text
        location = httpx.URL(response.headers["location"])
        assert "paymentKey" in location.params, location
        return location.params["paymentKey"]

    async def open_window(self, order_id: str, amount: int = 10_000) -> str:
        """Open the payment window (GET /checkout); the paymentKey its form carries."""
        query = checkout_form(order_id, amount)
        del query["decision"]
        page = await self.client.get(f"{self.prefix}/checkout", params=query)
        assert page.status_code == 200, page.text
        match = _WINDOW_PAYMENT_KEY.search(page.text)
        assert match is not None and match.group(1), page.text
        return match.group(1)

    async def confirm(
        self,
        payment_key: str,
        order_id: str,
        amount: Any = 10_000,
        *,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """`read_timeout`: for this call only (for the faults that never answer)."""
        return await self.client.post(
            f"{self.prefix}{CONFIRM_PATH}",
            json={"paymentKey": payment_key, "orderId": order_id, "amount": amount},
            headers=_post_headers(idempotency_key, headers),
            **_timeout(read_timeout),
        )

    async def cancel(
        self,
        payment_key: str,
        cancel_amount: Any = None,
        *,
        reason: Any = CANCEL_REASON,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        read_timeout: float | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Cancel `cancel_amount`, or the whole balance when None; `fields` join the body."""
        body = {"cancelReason": reason, **fields}
        if cancel_amount is not None:
            body["cancelAmount"] = cancel_amount
        return await self.client.post(
            f"{self.prefix}{cancel_path(payment_key)}",
            json=body,
            headers=_post_headers(idempotency_key, headers),
            **_timeout(read_timeout),
        )

    async def paid_order(self, amount: int = 10_000) -> tuple[str, str, httpx.Response]:
        """An order checked out and confirmed: (orderId, paymentKey, confirm response)."""
        order_id = new_order_id()
        payment_key = await self.approve_checkout(order_id, amount)
        response = await self.confirm(payment_key, order_id, amount)
        assert response.status_code == 200, response.text
        return order_id, payment_key, response

    async def issued_virtual_account(self, amount: int = 10_000) -> tuple[str, str, httpx.Response]:
        """A virtual-account order checked out and confirmed: (orderId, paymentKey, confirm)."""
        order_id = new_order_id()
        payment_key = await self.approve_checkout(order_id, amount, method=VIRTUAL_ACCOUNT)
        response = await self.confirm(payment_key, order_id, amount)
        assert response.status_code == 200, response.text
        return order_id, payment_key, response

    async def deposited_virtual_account(
        self, amount: int = 10_000
    ) -> tuple[str, str, httpx.Response]:
        """A virtual-account order paid into: (orderId, paymentKey, deposit response)."""
        order_id, payment_key, _ = await self.issued_virtual_account(amount)
        response = await self.deposit(payment_key)
        assert response.status_code == 200, response.text
        return order_id, payment_key, response

    async def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.get(
            f"{self.prefix}{path}", headers={"Authorization": basic_auth(), **(headers or {})}
        )

    async def logged_requests(self, **filters: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"{self.prefix}/admin/requests", params=filters)
        assert response.status_code == 200
        requests: list[dict[str, Any]] = response.json()["requests"]
        return requests

    async def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.client.request(method, f"{self.prefix}/admin{path}", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def advance_clock(self, seconds: float) -> dict[str, Any]:
        clock: dict[str, Any] = await self._admin("POST", "/clock", {"advanceSeconds": seconds})
        return clock

    async def set_webhook_url(self, url: str | None) -> None:
        await self._admin("PUT", "/webhook", {"url": url})

    async def deliver_webhooks(self) -> list[dict[str, Any]]:
        """Send every webhook due now; what each attempt gave."""
        attempts: list[dict[str, Any]] = (await self._admin("POST", "/webhooks/deliver"))[
            "attempts"
        ]
        return attempts

    async def webhook_deliveries(self, **filters: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"{self.prefix}/admin/webhooks", params=filters)
        assert response.status_code == 200, response.text
        deliveries: list[dict[str, Any]] = response.json()["deliveries"]
        return deliveries

    async def add_faults(self, *faults: dict[str, Any]) -> list[dict[str, Any]]:
        body = faults[0] if len(faults) == 1 else list(faults)
        added: list[dict[str, Any]] = (await self._admin("POST", "/faults", body))["faults"]
        return added

    async def faults(self) -> list[dict[str, Any]]:
        in_force: list[dict[str, Any]] = (await self._admin("GET", "/faults"))["faults"]
        return in_force

    def _virtual_account_path(self, payment_key: str, action: str) -> str:
        return f"{self.prefix}/admin/virtual-accounts/{payment_key}/{action}"

    async def deposit(self, payment_key: str, amount: int | None = None) -> httpx.Response:
        """Pay into the account: its own amount, or `amount` when given."""
        body = None if amount is None else {"amount": amount}
        return await self.client.post(self._virtual_account_path(payment_key, "deposit"), json=body)

    async def deposit_error(self, payment_key: str) -> httpx.Response:
        return await self.client.post(self._virtual_account_path(payment_key, "deposit-error"))

    async def refunds(self, payment_key: str) -> httpx.Response:
        return await self.client.get(self._virtual_account_path(payment_key, "refunds"))

    async def fail_refunds(self, payment_key: str) -> httpx.Response:
        return await self.client.post(self._virtual_account_path(payment_key, "refund-failure"))
