"""Toss's browser SDK as the sandbox serves it, called by a merchant's page in Chromium.

The merchant's site is static pages served by `python -m http.server` on its own port: another
origin than the sandbox's, on loopback as Chromium requires of a page that loads a loopback
script. The SDK script, the checkout window and the API are the sandbox of a real `serve`
process, reached over loopback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.async_api import Page

from tests.browser.conftest import BrowserPage, merchant_site
from tests.support.servers import ServerProcess
from toss_graphql.config import SANDBOX_SECRET_KEY

CLIENT_KEY = "test_ck_sandbox"
ORDER_ID = "sdk-order-0001"


@pytest.fixture(scope="module")
def shop_site(newcomer: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The merchant's site: /v2.html and /v1.html load the SDK from the sandbox, and
    /success.html and /fail.html are where the window sends the buyer back."""
    folder = tmp_path_factory.mktemp("shop")
    sandbox = f"{newcomer.url}/sandbox"
    pages = {
        "v2.html": f"{sandbox}/v2/standard",
        "v1.html": f"{sandbox}/v1/payment",
        "success.html": None,
        "fail.html": None,
    }
    with merchant_site(folder, pages) as url:
        yield url


@dataclass(frozen=True)
class Shop:
    page: Page
    url: str

    def request(self, **changes: Any) -> dict[str, Any]:
        """A valid v2 request with `changes` (None removes a field)."""
        request: dict[str, Any] = {
            "method": "CARD",
            "amount": {"currency": "KRW", "value": 15000},
            "orderId": ORDER_ID,
            "orderName": "토스 티셔츠 외 2건",
            "successUrl": f"{self.url}/success.html",
            "failUrl": f"{self.url}/fail.html",
            "customerName": "김토스",
        }
        request.update(changes)
        return {key: value for key, value in request.items() if value is not None}


@pytest.fixture
def shop(shop_site: str, browser_page: BrowserPage) -> Shop:
    return Shop(browser_page.page, shop_site)


V2_REQUEST = """async ([clientKey, customerKey, request]) => {
  try {
    const payment = TossPayments(clientKey).payment({ customerKey });
    await payment.requestPayment(request);
    return null;
  } catch (error) {
    return [error.code, error.message];
  }
}"""


async def _v2_refusal(
    shop: Shop, request: dict[str, Any], client_key: str = CLIENT_KEY, customer_key: str = "c-1"
) -> list[str]:
    await shop.page.goto(f"{shop.url}/v2.html")
    refused: list[str] = await shop.page.evaluate(V2_REQUEST, [client_key, customer_key, request])
    assert refused is not None, "the SDK opened the window"
    assert shop.page.url == f"{shop.url}/v2.html", "a refused request must not leave the page"
    return refused


async def _pay_in_window(
    newcomer: ServerProcess,
    shop: Shop,
    page_name: str,
    call: str,
    request: dict[str, Any],
    button: str,
    landing: str,
) -> dict[str, str]:
    """Call the SDK on the merchant's page, press `button` in the sandbox's window, and return
    the query the buyer lands on at `landing`."""
    page = shop.page
    await page.goto(f"{shop.url}/{page_name}")
    await page.evaluate(call, [CLIENT_KEY, request])
    await page.wait_for_url(f"{newcomer.url}/sandbox/checkout?**")
    await page.get_by_role("button", name=button).click()
    await page.wait_for_url(f"{shop.url}/{landing}?**")
    return dict(parse_qsl(urlsplit(page.url).query))


async def test_v2_opens_the_checkout_and_an_approval_lands_on_success_url(
    newcomer: ServerProcess, shop: Shop
) -> None:
    call = """([clientKey, request]) => {
        TossPayments(clientKey).payment({ customerKey: TossPayments.ANONYMOUS })
          .requestPayment(request);
    }"""
    landed = await _pay_in_window(
        newcomer, shop, "v2.html", call, shop.request(), "결제 승인", "success.html"
    )

    assert (landed["orderId"], landed["amount"]) == (ORDER_ID, "15000")
    # The merchant's server confirms what the window approved, as with Toss.
    async with httpx.AsyncClient(base_url=f"{newcomer.url}/sandbox") as toss:
        confirmed = await toss.post(
            "/v1/payments/confirm",
            json={"paymentKey": landed["paymentKey"], "orderId": ORDER_ID, "amount": 15000},
            auth=(SANDBOX_SECRET_KEY, ""),
            headers={"Idempotency-Key": f"confirm-{ORDER_ID}"},
        )
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["method"]) == ("DONE", "카드")


async def test_v1_takes_the_korean_method_and_a_cancel_lands_on_fail_url(
    newcomer: ServerProcess, shop: Shop
) -> None:
    call = """([clientKey, request]) => {
        TossPayments(clientKey).requestPayment("카드", request);
    }"""
    request = {**shop.request(orderId="sdk-order-v1-0001"), "amount": 9000}
    landed = await _pay_in_window(
        newcomer, shop, "v1.html", call, request, "결제 취소", "fail.html"
    )
    assert landed["code"] == "PAY_PROCESS_CANCELED"
    assert landed["orderId"] == "sdk-order-v1-0001"
    assert landed["message"]


@pytest.mark.parametrize(
    ("request_changes", "code"),
    [
        ({"orderId": "abc"}, "INVALID_ORDER_ID"),
        ({"orderId": "has space 123"}, "INVALID_ORDER_ID"),
        ({"orderName": "가" * 101}, "INVALID_ORDER_NAME"),
        ({"amount": {"currency": "USD", "value": 15000}}, "INVALID_AMOUNT_CURRENCY"),
        ({"amount": {"currency": "KRW", "value": -1}}, "BELOW_ZERO_AMOUNT"),
        ({"amount": {"currency": "KRW", "value": 150.5}}, "INVALID_AMOUNT_VALUE"),
        ({"amount": {"currency": "KRW", "value": "15000"}}, "INVALID_AMOUNT_VALUE"),
        ({"amount": 15000}, "INVALID_PARAMETERS"),
        ({"method": "CULTURE_GIFT_CERTIFICATE"}, "NOT_SUPPORTED_METHOD"),
        ({"method": "BITCOIN"}, "INVALID_PARAMETERS"),
        ({"successUrl": None, "failUrl": None}, "NOT_SUPPORTED_PROMISE"),
        ({"successUrl": "/success"}, "INCORRECT_SUCCESS_URL_FORMAT"),
        ({"failUrl": "javascript:alert(1)"}, "INCORRECT_FAIL_URL_FORMAT"),
    ],
)
async def test_v2_refuses_bad_arguments_with_tosss_codes_and_messages(
    newcomer: ServerProcess, shop: Shop, request_changes: dict[str, Any], code: str
) -> None:
    refused = await _v2_refusal(shop, shop.request(**request_changes))
    async with httpx.AsyncClient() as client:
        script = (await client.get(f"{newcomer.url}/sandbox/v2/standard")).text
    assert refused[0] == code
    # The message is Toss's, as the script carries it: never empty, never the code itself.
    assert refused[1] and refused[1] != code
    assert json.dumps(refused[1], ensure_ascii=False) in script


@pytest.mark.parametrize(
    ("client_key", "customer_key", "code"),
    [
        ("live_ck_not_this_sandbox", "c-1", "INVALID_CLIENT_KEY"),
        ("", "c-1", "INVALID_CLIENT_KEY"),
        ("test_gck_widget_key", "c-1", "NOT_SUPPORTED_WIDGET_KEY"),
        (CLIENT_KEY, "a", "INVALID_CUSTOMER_KEY"),
        (CLIENT_KEY, "no spaces allowed", "INVALID_CUSTOMER_KEY"),
    ],
)
async def test_v2_refuses_an_unknown_client_key_and_a_bad_customer_key(
    shop: Shop, client_key: str, customer_key: str, code: str
) -> None:
    refused = await _v2_refusal(shop, shop.request(), client_key, customer_key)
    assert refused[0] == code


async def test_v1_refuses_an_unknown_client_key(shop: Shop) -> None:
    await shop.page.goto(f"{shop.url}/v1.html")
    refused = await shop.page.evaluate(
        """(request) => TossPayments("bogus").requestPayment("카드", request)
              .then(() => null, (error) => error.code)""",
        {**shop.request(), "amount": 15000},
    )
    assert refused == "INVALID_CLIENT_KEY"
    assert shop.page.url == f"{shop.url}/v1.html"
