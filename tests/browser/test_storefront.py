"""The reference storefront in Chromium, on a real `serve` with its built-in sandbox: order,
Toss's payment widget on the checkout page (the sandbox's SDK), Toss's window, the success and
fail pages, my orders with partial and full cancel; the same files on another origin, paying
through the widget or the window as config.json says, allowed or refused by CORS."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from playwright.async_api import Route, expect

from tests.browser.conftest import BrowserPage
from tests.browser.shop_steps import (
    METHODS,
    PRODUCT,
    TIMEOUT_MS,
    approve_and_see_paid,
    expect_no_empty_label,
    order_and_reach_window,
    order_in_shop,
    order_status,
    pay_with_widget,
    publish,
    query_of,
    reach_widget,
    row,
    take_screenshot,
)
from tests.support.flows import ORDER, create_order
from tests.support.servers import ServerProcess, newcomer_server, printed, static_site
from toss_graphql.web.storefront import STOREFRONT


async def test_an_order_is_paid_then_canceled_in_part_and_in_full(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    shop, sandbox = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"
    await order_in_shop(page, shop, screenshot="storefront-shop.png")
    order_id = await reach_widget(page, shop)
    await take_screenshot(page, "storefront-checkout.png")
    await pay_with_widget(page, sandbox)
    await take_screenshot(page, "sandbox-checkout.png")
    await approve_and_see_paid(page, shop)
    await expect(row(page, "Order number")).to_have_text(order_id)
    await expect(row(page, "Method")).to_have_text("카드")
    await expect(row(page, "Installments")).to_have_text("Lump sum")
    await take_screenshot(page, "storefront-success.png")

    await page.goto(f"{shop}/orders.html")
    order_row = page.locator(f"#order-{order_id}")
    await order_row.get_by_label(f"Amount to cancel of {order_id}").fill("4000")
    await order_row.get_by_role("button", name="Cancel").click()
    await expect(page.locator("#status")).to_have_text(f"Canceled 4,000원 of {order_id}.")
    await expect(order_row.locator(".order-status")).to_have_text("Partly refunded")
    await expect(order_row.locator(".balance")).to_have_text("5,000원")
    # A double click on a full cancel refunds the balance once.
    await order_row.get_by_role("button", name="Cancel").dblclick()
    await expect(order_row.locator(".order-status")).to_have_attribute(
        "data-status", "CANCELED", timeout=TIMEOUT_MS
    )
    await expect(order_row.locator(".balance")).to_have_text("—")
    history = page.locator("#cancels li").filter(has_text=order_id)
    await expect(history).to_have_count(2)
    await expect(history.filter(has_text="5,000원")).to_have_count(1)
    await take_screenshot(page, "storefront-orders.png", full_page=True)

    assert await order_status(newcomer, order_id) == "CANCELED"
    assert log.errors == [] and log.console_errors() == []


async def test_a_failed_checkout_shows_tosss_message_and_the_widget_pays_it_again(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    shop, sandbox = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"
    order_id = await order_and_reach_window(page, shop, sandbox)
    await page.get_by_role("button", name="결제 취소").click()
    await page.wait_for_url(f"{shop}/fail.html?**")
    await expect(page.locator("#toss-message")).to_have_text("사용자에 의해 결제가 취소되었습니다.")
    await expect(page.locator("#status")).to_have_text(
        "Nothing was charged. You can pay this order again."
    )
    await expect(row(page, "Order number")).to_have_text(order_id)
    await expect(row(page, "Status")).to_have_text("Payment failed")
    await expect_no_empty_label(page)
    await take_screenshot(page, "storefront-fail.png")
    assert await order_status(newcomer, order_id) == "FAILED"

    # The retry draws the widget again, for the same order.
    await page.get_by_role("button", name="Try again").click()
    assert await reach_widget(page, shop) == order_id
    await expect(page.locator("#status")).to_contain_text("사용자에 의해 결제가 취소되었습니다.")
    await pay_with_widget(page, sandbox, "토스페이")
    landed = await approve_and_see_paid(page, shop)
    assert landed["orderId"] == order_id
    await expect(row(page, "Easy pay")).to_have_text("토스페이")
    assert await order_status(newcomer, order_id) == "PAID"
    assert log.errors == [] and log.console_errors() == []


async def test_an_amount_changed_in_the_address_bar_is_refused_and_nothing_is_paid(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    shop, sandbox = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"
    order_id = await order_and_reach_window(page, shop, sandbox)

    async def tamper(route: Route) -> None:
        # The window's answer is a redirect to the success page; the buyer edits the amount
        # in it before the page loads: 9,000원 becomes 100원.
        answer = await route.fetch(max_redirects=0)
        parts = urlsplit(answer.headers["location"])
        query = {**dict(parse_qsl(parts.query)), "amount": "100"}
        edited = parts._replace(query=urlencode(query)).geturl()
        await route.fulfill(status=303, headers={"Location": edited})

    await page.route(f"{sandbox}/checkout", tamper)
    await page.get_by_role("button", name="결제 승인").click()
    await page.wait_for_url(f"{shop}/success.html?**amount=100**")

    # The refusal in words, and the order it concerns, every label with its value.
    status = page.locator("#status")
    await expect(status).to_have_attribute("data-code", "AMOUNT_MISMATCH", timeout=TIMEOUT_MS)
    await expect(status).to_have_text(
        "The amount in this page's address (100원) is not the order's amount (9,000원), "
        "so the payment was not confirmed. Nothing was charged."
    )
    await expect(status).to_have_class("error")
    await expect(row(page, "Order number")).to_have_text(order_id)
    await expect(row(page, "Amount")).to_have_text("9,000원")
    await expect(row(page, "Status")).to_have_text("Not paid yet")
    await expect(row(page, "Method")).to_have_count(0)
    await expect_no_empty_label(page)
    await expect(page.get_by_role("link", name="Pay this order")).to_have_attribute(
        "href", f"{shop}/checkout.html?orderId={order_id}"
    )
    assert await order_status(newcomer, order_id) == "PENDING"


@pytest.mark.parametrize("checkout", ["WIDGET", None])
async def test_an_order_made_by_hand_is_paid_on_the_checkout_page_through_its_checkout(
    newcomer: ServerProcess, browser_page: BrowserPage, checkout: str | None
) -> None:
    """README's first payment: an order made in GraphiQL, for the widget or (createOrder's
    default here) the window, paid on checkout.html?orderId=…, which has nothing left to pay
    afterwards."""
    page, log = browser_page.page, browser_page.log
    shop, sandbox = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"
    order_input: dict[str, object] = {"lines": [{"sku": "americano", "quantity": 2}]}
    if checkout:
        order_input["checkout"] = checkout
    async with httpx.AsyncClient(base_url=newcomer.url) as client:
        order = await create_order(client, printed(newcomer, "Demo buyer token"), order_input)
    await page.goto(f"{shop}/checkout.html?orderId={order['orderId']}")
    if checkout == "WIDGET":
        await reach_widget(page, shop)
        await pay_with_widget(page, sandbox)
        client_key = "test_gck_sandbox"
    else:
        await expect(page.get_by_role("group", name=METHODS)).to_have_count(0)
        await page.get_by_role("button", name="Pay 9,000원 in Toss's window").click()
        await page.wait_for_url(f"{sandbox}/checkout?**", timeout=TIMEOUT_MS)
        client_key = "test_ck_sandbox"
    assert query_of(page.url)["clientKey"] == client_key
    await approve_and_see_paid(page, shop)

    await page.goto(f"{shop}/checkout.html?orderId={order['orderId']}")
    await expect(page.locator("#status")).to_have_text("This order has nothing left to pay.")
    await expect(row(page, "Status", "#order")).to_have_text("Paid")
    await expect(page.locator("#checkout")).to_be_hidden()
    assert log.errors == [] and log.console_errors() == []


@pytest.fixture(scope="module")
def storefront_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The storefront's files as a static site of their own, one copy per API below."""
    folder = tmp_path_factory.mktemp("storefront-site")
    with static_site(folder) as url:
        yield url, folder


@pytest.fixture(scope="module")
def cors_api(
    storefront_site: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A `serve` that allows the static site's origin (CORS_ORIGINS)."""
    site_url, _ = storefront_site
    directory = tmp_path_factory.mktemp("cors-api")
    with newcomer_server(directory, {"CORS_ORIGINS": site_url}) as server:
        yield server


@pytest.mark.parametrize("checkout", ["widget", "window"])
async def test_the_storefront_on_another_origin_pays_when_cors_allows_it(
    storefront_site: tuple[str, Path],
    cors_api: ServerProcess,
    browser_page: BrowserPage,
    checkout: str,
) -> None:
    """config.json chooses the checkout: the widget on the checkout page, or straight into
    Toss's payment window with the window's client key."""
    site_url, folder = storefront_site
    publish(folder, checkout, cors_api, checkout)
    page, log = browser_page.page, browser_page.log
    shop, sandbox = f"{site_url}/{checkout}", f"{cors_api.url}/sandbox"
    if checkout == "widget":
        order_id = await order_and_reach_window(page, shop, sandbox)
    else:
        await order_in_shop(page, shop)
        await page.wait_for_url(f"{sandbox}/checkout?**", timeout=TIMEOUT_MS)
        assert query_of(page.url)["clientKey"] == "test_ck_sandbox"
        order_id = query_of(page.url)["orderId"]
    await approve_and_see_paid(page, shop)
    assert await order_status(cors_api, order_id) == "PAID"
    assert log.errors == [] and log.console_errors() == []


async def test_the_storefront_on_another_origin_is_refused_without_cors(
    storefront_site: tuple[str, Path], newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    site_url, folder = storefront_site
    publish(folder, "refused", newcomer)
    page, log = browser_page.page, browser_page.log
    await order_in_shop(page, f"{site_url}/refused", quantity=1)

    await expect(page.locator("#status")).to_contain_text("could not be reached")
    assert page.url == f"{site_url}/refused/index.html"
    assert any("CORS" in line for line in log.console_errors()), log.console


@pytest.fixture(scope="module")
def settling_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A `serve` that gives up on Toss after a second, and reconciles an order left alone for
    8 s (after the confirm has given up and answered), so an unknown outcome settles while a
    test watches."""
    settings = {
        "TOSS_TIMEOUT_SECONDS": "1",
        "RECONCILE_INTERVAL_SECONDS": "1",
        "RECONCILE_MIN_AGE_SECONDS": "8",
    }
    with newcomer_server(tmp_path_factory.mktemp("settling-api"), settings) as server:
        yield server


async def test_a_pending_payment_is_shown_waiting_and_followed_until_it_settles(
    settling_api: ServerProcess, browser_page: BrowserPage
) -> None:
    """Toss approves but its replies are lost, and no webhook comes: the success page shows a
    spinner and plain words (PAYMENT_PENDING), then follows the order live, over the
    `orderUpdated` subscription, until the reconciler reads Toss's record."""
    page, log = browser_page.page, browser_page.log
    shop, sandbox_url = f"{settling_api.url}/demo", f"{settling_api.url}/sandbox"
    order_id = await order_and_reach_window(page, shop, sandbox_url)
    async with httpx.AsyncClient(base_url=sandbox_url) as sandbox:
        webhook_url = (await sandbox.get("/admin/webhook")).json()["url"]
        assert (await sandbox.put("/admin/webhook", json={"url": None})).status_code == 200
        fault = {"method": "POST", "path": "/v1/payments/confirm", "kind": "drop_after_commit"}
        added = await sandbox.post("/admin/faults", json={**fault, "times": 10})
        assert added.status_code == 201, added.text
    try:
        await page.get_by_role("button", name="결제 승인").click()
        await page.wait_for_url(f"{shop}/success.html?**")
        status = page.locator("#status")
        await expect(status).to_contain_text("Toss has not answered yet.", timeout=60_000)
        await expect(status).to_have_class("waiting")
        await expect(row(page, "Order number")).to_have_text(order_id)
        await expect(row(page, "Status")).to_have_text("Being confirmed", timeout=TIMEOUT_MS)
        await expect_no_empty_label(page)
        await expect(status).to_have_text("Paid.", timeout=60_000)
        await expect(status).to_have_class("ok")
        await expect(row(page, "Status")).to_have_text("Paid")
        await expect(row(page, "Method")).to_have_text("카드")
        await expect_no_empty_label(page)
    finally:
        async with httpx.AsyncClient(base_url=sandbox_url) as sandbox:
            await sandbox.delete("/admin/faults")
            await sandbox.put("/admin/webhook", json={"url": webhook_url})

    assert await order_status(settling_api, order_id) == "PAID"
    assert log.errors == [] and log.console_errors() == []
    assert log.sockets == [f"{settling_api.url.replace('http', 'ws', 1)}/graphql"]
    live = [json.loads(frame) for frame in log.frames]
    statuses = [m["payload"]["data"]["orderUpdated"]["status"] for m in live if m["type"] == "next"]
    assert statuses == ["CONFIRMING", "PAID"]


async def test_a_pasted_token_is_the_buyer_the_shop_orders_for(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    shop = f"{newcomer.url}/demo"
    await page.goto(f"{shop}/index.html")
    await expect(page.locator("#buyer")).to_have_text("demo-buyer")
    await page.get_by_text("Use another token").click()
    await page.get_by_label("Bearer token").fill(printed(newcomer, "Admin token"))
    await page.get_by_role("button", name="Use this token").click()
    await expect(page.locator("#buyer")).to_have_text("demo-admin")

    await page.get_by_label(f"{PRODUCT} quantity").fill("1")
    await page.get_by_role("button", name="Order and pay").click()
    order_id = await reach_widget(page, shop)
    async with httpx.AsyncClient(base_url=newcomer.url) as client:
        answer = await client.post(
            "/graphql",
            json={"query": ORDER, "variables": {"orderId": order_id}},
            headers={"Authorization": f"Bearer {printed(newcomer, 'Admin token')}"},
        )
    assert answer.json()["data"]["order"]["buyer"] == "demo-admin"


OPERATIONS = STOREFRONT / "operations"


@pytest.fixture(scope="module")
def trusted_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A `serve` that runs trusted documents only, its manifest built by the project's CLI
    from the storefront's operations/ folder."""
    directory = tmp_path_factory.mktemp("trusted-api")
    manifest = directory / "trusted.json"
    built = subprocess.run(
        [sys.executable, "-m", "toss_graphql.cli", "trusted-documents", str(OPERATIONS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    manifest.write_text(built.stdout, encoding="utf-8")
    settings = {"TRUSTED_DOCUMENTS_FILE": str(manifest), "TRUSTED_DOCUMENTS_ONLY": "true"}
    with newcomer_server(directory, settings) as server:
        yield server


async def test_the_storefront_runs_on_trusted_documents_only(
    trusted_api: ServerProcess, browser_page: BrowserPage
) -> None:
    """Every document the shop sends is one of operations/: ordered for the widget, paid,
    seen in the list, canceled, against an API that runs nothing else."""
    page, log = browser_page.page, browser_page.log
    shop = f"{trusted_api.url}/demo"
    order_id = await order_and_reach_window(page, shop, f"{trusted_api.url}/sandbox")
    await approve_and_see_paid(page, shop)
    await page.goto(f"{shop}/orders.html")
    order_row = page.locator(f"#order-{order_id}")
    await order_row.get_by_role("button", name="Cancel").click()
    await expect(order_row.locator(".order-status")).to_have_attribute(
        "data-status", "CANCELED", timeout=TIMEOUT_MS
    )

    token = printed(trusted_api, "Demo buyer token")
    settled = (OPERATIONS / "SettledOrder.graphql").read_text(encoding="utf-8")
    async with httpx.AsyncClient(base_url=trusted_api.url) as client:
        headers = {"Authorization": f"Bearer {token}"}
        by_id = await client.post(
            "/graphql",
            json={"documentId": f"sha256:{sha256(settled)}", "variables": {"orderId": order_id}},
            headers=headers,
        )
        arbitrary = await client.post("/graphql", json={"query": ORDER}, headers=headers)
    assert by_id.json()["data"]["order"]["status"] == "CANCELED"
    assert arbitrary.status_code == 400
    assert arbitrary.json()["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENTS_ONLY"
    assert log.errors == [] and log.console_errors() == []


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
