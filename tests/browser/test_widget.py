"""Toss's payment widget as the sandbox serves it, called by a merchant's page in Chromium.

The merchant's pages are written from Toss's public SDK docs and served by
`python -m http.server` on an origin of their own; the SDK script, the window and the API are
the built-in sandbox of a real `serve` process. The widget draws its methods and terms into the
merchant's elements; the buyer chooses there, pays in the sandbox's window, and the merchant's
server confirms with the widget's secret key, as with Toss.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import BrowserPage, merchant_site
from tests.support.servers import ServerProcess

WIDGET_CLIENT_KEY = "test_gck_sandbox"
WIDGET_SECRET_KEY = "test_gsk_sandbox"
API_SECRET_KEY = "test_sk_sandbox"
AMOUNT = 15000


# Toss's integration guide: an element for the methods and one for the terms.
WIDGET_BODY = "<h1>주문서</h1><div id='payment-method'></div><div id='agreement'></div>"


@pytest.fixture(scope="module")
def widget_site(newcomer: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """/v2.html loads Toss's v2 script, /v1.html the v1 widget's; /success.html and
    /fail.html are where the window sends the buyer back."""
    folder = tmp_path_factory.mktemp("widget-shop")
    sandbox = f"{newcomer.url}/sandbox"
    pages = {
        "v2.html": f"{sandbox}/v2/standard",
        "v1.html": f"{sandbox}/v1/payment-widget",
        "success.html": None,
        "fail.html": None,
    }
    with merchant_site(folder, pages, WIDGET_BODY) as url:
        yield url


@dataclass(frozen=True)
class Shop:
    page: Page
    url: str
    sandbox: str

    def request(self, order_id: str, **changes: Any) -> dict[str, Any]:
        request: dict[str, Any] = {
            "orderId": order_id,
            "orderName": "토스 티셔츠 외 2건",
            "successUrl": f"{self.url}/success.html",
            "failUrl": f"{self.url}/fail.html",
            "customerName": "김토스",
            "customerMobilePhone": "01012348888",
        }
        request.update(changes)
        return {key: value for key, value in request.items() if value is not None}


@pytest.fixture
def shop(widget_site: str, newcomer: ServerProcess, browser_page: BrowserPage) -> Shop:
    return Shop(browser_page.page, widget_site, f"{newcomer.url}/sandbox")


# Toss's integration guide, step by step: the widget, its amount, both UIs, then the request.
RENDER_V2 = """async ([clientKey, amount]) => {
  const widgets = TossPayments(clientKey).widgets({ customerKey: TossPayments.ANONYMOUS });
  await widgets.setAmount({ currency: "KRW", value: amount });
  const methods = await widgets.renderPaymentMethods({ selector: "#payment-method" });
  const agreement = await widgets.renderAgreement({
    selector: "#agreement", variantKey: "AGREEMENT" });
  window.events = [];
  methods.on("paymentMethodSelect", (selected) => window.events.push(selected));
  agreement.on("agreementStatusChange", (status) => window.events.push(status));
  window.widgets = widgets;
  window.methods = methods;
}"""

REQUEST_V2 = """(request) => window.widgets.requestPayment(request)
  .then(() => null, (error) => [error.code, error.message])"""


async def _render_v2(shop: Shop, amount: int = AMOUNT) -> None:
    await shop.page.goto(f"{shop.url}/v2.html")
    await shop.page.evaluate(RENDER_V2, [WIDGET_CLIENT_KEY, amount])


async def _approve_in_window(shop: Shop, label: str) -> dict[str, str]:
    page = shop.page
    await page.wait_for_url(f"{shop.sandbox}/checkout?**")
    # The window opens on the method the buyer picked in the widget.
    await expect(page.get_by_role("radio", name=label)).to_be_checked()
    await page.get_by_role("button", name="결제 승인").click()
    await page.wait_for_url(f"{shop.url}/success.html?**")
    return dict(parse_qsl(urlsplit(page.url).query))


async def _confirm(
    shop: Shop, landed: dict[str, str], secret_key: str = WIDGET_SECRET_KEY
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=shop.sandbox) as toss:
        return await toss.post(
            "/v1/payments/confirm",
            json={
                "paymentKey": landed["paymentKey"],
                "orderId": landed["orderId"],
                "amount": int(landed["amount"]),
            },
            auth=(secret_key, ""),
            headers={"Idempotency-Key": f"confirm-{landed['paymentKey']}-{secret_key}"},
        )


@pytest.mark.parametrize(
    ("code", "label", "status", "method", "detail"),
    [
        ("CARD", "카드", "DONE", "카드", "card"),
        ("VIRTUAL_ACCOUNT", "가상계좌", "WAITING_FOR_DEPOSIT", "가상계좌", "virtualAccount"),
        ("TRANSFER", "계좌이체", "DONE", "계좌이체", "transfer"),
        ("MOBILE_PHONE", "휴대폰", "DONE", "휴대폰", "mobilePhone"),
        ("TOSSPAY", "토스페이", "DONE", "간편결제", "easyPay"),
    ],
)
async def test_v2_widget_pays_with_the_method_the_buyer_picks(
    shop: Shop, code: str, label: str, status: str, method: str, detail: str
) -> None:
    order_id = f"widget-{code.lower().replace('_', '-')}-01"
    await _render_v2(shop)
    page = shop.page
    methods = page.get_by_role("group", name="결제 방법")
    await expect(methods.get_by_role("radio")).to_have_count(7)
    await expect(methods.get_by_role("radio", name="카드")).to_be_checked()
    await expect(page.get_by_role("checkbox", name="[필수] 결제 서비스 이용 약관")).to_be_checked()

    await methods.get_by_role("radio", name=label).check()
    if code != "CARD":
        assert await page.evaluate("window.events") == [{"code": code}]
    assert await page.evaluate("window.methods.getSelectedPaymentMethod()") == {"code": code}
    await page.evaluate(
        "(request) => { window.widgets.requestPayment(request); }", shop.request(order_id)
    )
    landed = await _approve_in_window(shop, label)
    confirmed = await _confirm(shop, landed)

    assert (landed["orderId"], landed["amount"]) == (order_id, str(AMOUNT))
    assert confirmed.status_code == 200, confirmed.text
    payment = confirmed.json()
    assert (payment["status"], payment["method"]) == (status, method)
    assert payment[detail] is not None
    if code == "MOBILE_PHONE":
        assert payment["mobilePhone"]["customerMobilePhone"] == "01012348888"
    if code == "TOSSPAY":
        assert payment["easyPay"]["provider"] == "토스페이"


async def test_a_widget_payment_confirmed_with_the_api_secret_key_is_invalid_api_key(
    shop: Shop,
) -> None:
    await _render_v2(shop)
    await shop.page.evaluate(
        "(request) => { window.widgets.requestPayment(request); }",
        shop.request("widget-pairing-01"),
    )
    landed = await _approve_in_window(shop, "카드")

    refused = await _confirm(shop, landed, API_SECRET_KEY)
    accepted = await _confirm(shop, landed, WIDGET_SECRET_KEY)

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_API_KEY")
    assert accepted.status_code == 200, accepted.text


async def test_v1_payment_widget_pays_by_card(shop: Shop) -> None:
    page = shop.page
    await page.goto(f"{shop.url}/v1.html")
    selected = await page.evaluate(
        """async ([clientKey, amount]) => {
          const paymentWidget = PaymentWidget(clientKey, PaymentWidget.ANONYMOUS);
          const methods = paymentWidget.renderPaymentMethods(
            "#payment-method", { value: 1000 }, { variantKey: "DEFAULT" });
          await new Promise((resolve) => methods.on("ready", resolve));
          methods.updateAmount(amount);
          paymentWidget.renderAgreement("#agreement");
          window.paymentWidget = paymentWidget;
          return methods.getSelectedPaymentMethod();
        }""",
        [WIDGET_CLIENT_KEY, AMOUNT],
    )
    await page.evaluate(
        "(request) => { window.paymentWidget.requestPayment(request); }",
        shop.request("widget-v1-card-01"),
    )
    landed = await _approve_in_window(shop, "카드")
    confirmed = await _confirm(shop, landed)

    assert selected == {"type": "NORMAL", "method": "카드"}
    # The amount updated after rendering is the one paid.
    assert landed["amount"] == str(AMOUNT)
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["method"]) == ("DONE", "카드")


async def _refusal(shop: Shop, script: str, argument: Any = None) -> list[str]:
    refused: list[str] | None = await shop.page.evaluate(script, argument)
    assert refused is not None, "the widget went on to the window"
    assert urlsplit(shop.page.url).path.endswith(".html"), "a refusal must not leave the page"
    async with httpx.AsyncClient() as client:
        script_text = (await client.get(f"{shop.sandbox}/v2/standard")).text
    # The message is Toss's, as the script carries it: never empty, never the code.
    assert refused[1] and refused[1] != refused[0] and refused[1] in script_text
    return refused


async def test_widgets_refuse_an_api_client_key(shop: Shop) -> None:
    await shop.page.goto(f"{shop.url}/v2.html")
    refused = await _refusal(
        shop,
        """() => {
          try { TossPayments("test_ck_sandbox").widgets({ customerKey: "c-1" }); return null; }
          catch (error) { return [error.code, error.message]; }
        }""",
    )
    assert refused[0] == "NOT_SUPPORTED_API_INDIVIDUAL_KEY"


async def test_v1_payment_widget_refuses_an_api_client_key(shop: Shop) -> None:
    await shop.page.goto(f"{shop.url}/v1.html")
    refused = await shop.page.evaluate(
        """() => {
          try { PaymentWidget("test_ck_sandbox", "c-1"); return null; }
          catch (error) { return error.code; }
        }"""
    )
    assert refused == "NOT_SUPPORTED_API_INDIVIDUAL_KEY"


async def test_rendering_before_set_amount_is_not_setup_amount(shop: Shop) -> None:
    await shop.page.goto(f"{shop.url}/v2.html")
    refused = await _refusal(
        shop,
        """(clientKey) => TossPayments(clientKey).widgets({ customerKey: "c-1" })
          .renderPaymentMethods({ selector: "#payment-method" })
          .then(() => null, (error) => [error.code, error.message])""",
        WIDGET_CLIENT_KEY,
    )
    assert refused[0] == "NOT_SETUP_AMOUNT"
    assert await shop.page.locator("#payment-method").inner_html() == ""


async def test_requesting_before_the_methods_are_rendered_is_not_selected_payment_method(
    shop: Shop,
) -> None:
    await shop.page.goto(f"{shop.url}/v2.html")
    refused = await _refusal(
        shop,
        """async ([clientKey, request]) => {
          const widgets = TossPayments(clientKey).widgets({ customerKey: "c-1" });
          await widgets.setAmount({ currency: "KRW", value: 15000 });
          return widgets.requestPayment(request)
            .then(() => null, (error) => [error.code, error.message]);
        }""",
        [WIDGET_CLIENT_KEY, shop.request("widget-early-01")],
    )
    assert refused[0] == "NOT_SELECTED_PAYMENT_METHOD"


async def test_requesting_with_the_required_terms_unchecked_is_refused(shop: Shop) -> None:
    await _render_v2(shop)
    await shop.page.get_by_role("checkbox", name="[필수] 결제 서비스 이용 약관").uncheck()

    refused = await _refusal(shop, REQUEST_V2, shop.request("widget-terms-01"))

    assert refused[0] == "NEED_AGREEMENT_WITH_REQUIRED_TERMS"
    status = await shop.page.evaluate("window.events")
    assert status == [
        {
            "agreedRequiredTerms": False,
            "agreements": [
                {"term": {"id": "sandbox-payment-terms", "required": True}, "agreed": False}
            ],
        }
    ]


@pytest.mark.parametrize(("value", "code"), [(0, "BELOW_ZERO_AMOUNT"), (-500, "BELOW_ZERO_AMOUNT")])
async def test_an_amount_that_is_not_positive_is_refused_at_the_request(
    shop: Shop, value: int, code: str
) -> None:
    await _render_v2(shop, value)
    refused = await _refusal(shop, REQUEST_V2, shop.request("widget-amount-01"))
    assert refused[0] == code


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ("widgets.setAmount({ currency: 'USD', value: 15000 })", "INVALID_AMOUNT_CURRENCY"),
        ("widgets.setAmount({ currency: 'KRW', value: 10.5 })", "INVALID_AMOUNT_VALUE"),
        # Once destroyed, the methods widget may be drawn again, where an element exists.
        (
            "window.methods.destroy().then(() => "
            "widgets.renderPaymentMethods({ selector: '#nowhere' }))",
            "INVALID_SELECTOR",
        ),
        (
            "widgets.renderPaymentMethods({ selector: '#payment-method' })",
            "PAYMENT_METHODS_WIDGET_ALREADY_RENDERED",
        ),
        (
            "widgets.renderAgreement({ selector: '#agreement' })",
            "AGREEMENT_WIDGET_ALREADY_RENDERED",
        ),
        (
            "window.methods.destroy().then(() => "
            "widgets.renderPaymentMethods({ selector: '#payment-method', variantKey: '' }))",
            "INVALID_VARIANT_KEY",
        ),
    ],
)
async def test_rendered_widgets_refuse_bad_calls_with_tosss_codes(
    shop: Shop, call: str, code: str
) -> None:
    await _render_v2(shop)
    refused = await _refusal(
        shop,
        f"""() => {{
          const widgets = window.widgets;
          return {call}.then(() => null, (error) => [error.code, error.message]);
        }}""",
    )
    assert refused[0] == code


async def test_an_unknown_event_and_a_bad_callback_have_tosss_two_messages(shop: Shop) -> None:
    await _render_v2(shop)
    refusals = await shop.page.evaluate(
        """() => [["paymentMethodChange", () => {}], ["paymentMethodSelect", "no"]].map(
          ([event, callback]) => {
            try { window.methods.on(event, callback); return null; }
            catch (error) { return [error.code, error.message]; }
          })"""
    )
    assert refusals == [
        ["INVALID_PARAMETER", "허용하지 않는 이벤트입니다."],
        ["INVALID_PARAMETER", "콜백 함수가 올바르지 않습니다."],
    ]
