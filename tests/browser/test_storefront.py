"""The reference storefront in Chromium, on a real `serve` with its built-in sandbox: order,
Toss's SDK (the sandbox's), the hosted checkout, the success and fail pages, my orders with
partial and full cancel; and the same files on another origin, allowed or refused by CORS."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.conftest import BrowserPage
from tests.support.flows import ORDER
from tests.support.servers import ServerProcess, newcomer_server, printed, static_site
from toss_graphql.web.storefront import STOREFRONT

PRODUCT = "아메리카노"  # 4,500원 in the demo catalog: two make 9,000원
TIMEOUT_MS = 20_000


def _screenshot(name: str) -> Path | None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    return Path(folder) / name if folder else None


async def _order_and_open_window(
    page: Page, shop_url: str, checkout_prefix: str, screenshot: str | None = None
) -> str:
    """Order two americanos on the shop page; returns the orderId the window was opened for."""
    await page.goto(f"{shop_url}/index.html")
    await page.get_by_label(f"{PRODUCT} quantity").fill("2")
    if screenshot and (path := _screenshot(screenshot)):
        await page.screenshot(path=path)
    await page.get_by_role("button", name="Order and pay").click()
    await page.wait_for_url(f"{checkout_prefix}/checkout?**", timeout=TIMEOUT_MS)
    return dict(parse_qsl(urlsplit(page.url).query))["orderId"]


async def _approve_and_see_paid(page: Page, shop_url: str) -> None:
    """In the open window, approve; the success page must confirm the order as paid."""
    await page.get_by_role("button", name="결제 승인").click()
    await page.wait_for_url(f"{shop_url}/success.html?**")
    await expect(page.locator("#status")).to_have_text("Paid.", timeout=TIMEOUT_MS)


async def _order_status(server: ServerProcess, order_id: str) -> str:
    token = printed(server, "Demo buyer token")
    async with httpx.AsyncClient(base_url=server.url) as client:
        answer = await client.post(
            "/graphql",
            json={"query": ORDER, "variables": {"orderId": order_id}},
            headers={"Authorization": f"Bearer {token}"},
        )
    status: str = answer.json()["data"]["order"]["status"]
    return status


async def test_an_order_is_paid_then_canceled_in_part_and_in_full(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    shop = f"{newcomer.url}/demo"
    order_id = await _order_and_open_window(
        page, shop, f"{newcomer.url}/sandbox", "storefront-shop.png"
    )
    if path := _screenshot("sandbox-checkout.png"):
        await page.screenshot(path=path)
    await _approve_and_see_paid(page, shop)
    await expect(page.locator("#order-status")).to_have_text("PAID")
    if path := _screenshot("storefront-success.png"):
        await page.screenshot(path=path)

    await page.goto(f"{shop}/orders.html")
    row = page.locator(f"#order-{order_id}")
    await row.get_by_label(f"Amount to cancel of {order_id}").fill("4000")
    await row.get_by_role("button", name="Cancel").click()
    await expect(page.locator("#status")).to_have_text(f"Canceled 4,000원 of {order_id}.")
    await expect(row.locator(".order-status")).to_have_text("PARTIALLY_CANCELED")
    await expect(row.locator(".balance")).to_have_text("5,000원")
    # A double click on a full cancel refunds the balance once.
    await row.get_by_role("button", name="Cancel").dblclick()
    await expect(row.locator(".order-status")).to_have_text("CANCELED", timeout=TIMEOUT_MS)
    await expect(row.locator(".balance")).to_have_text("—")
    history = page.locator("#cancels li").filter(has_text=order_id)
    await expect(history).to_have_count(2)
    await expect(history.filter(has_text="5,000원")).to_have_count(1)
    if path := _screenshot("storefront-orders.png"):
        await page.screenshot(path=path, full_page=True)

    assert await _order_status(newcomer, order_id) == "CANCELED"
    assert log.errors == [] and log.console_errors() == []


async def test_a_failed_checkout_shows_tosss_message_and_a_retry_pays(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    shop = f"{newcomer.url}/demo"
    order_id = await _order_and_open_window(page, shop, f"{newcomer.url}/sandbox")
    await page.get_by_role("button", name="결제 취소").click()
    await page.wait_for_url(f"{shop}/fail.html?**")
    await expect(page.locator("#toss-message")).to_contain_text(
        "사용자에 의해 결제가 취소되었습니다"
    )
    await expect(page.locator("#status")).to_have_text(f"Order {order_id} is FAILED.")
    if path := _screenshot("storefront-fail.png"):
        await page.screenshot(path=path)
    assert await _order_status(newcomer, order_id) == "FAILED"

    await page.get_by_role("button", name="Try again").click()
    await page.wait_for_url(f"{newcomer.url}/sandbox/checkout?**")
    await _approve_and_see_paid(page, shop)
    assert await _order_status(newcomer, order_id) == "PAID"
    assert log.errors == [] and log.console_errors() == []


async def test_an_amount_changed_in_the_address_bar_is_refused_and_nothing_is_paid(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    shop = f"{newcomer.url}/demo"
    order_id = await _order_and_open_window(page, shop, f"{newcomer.url}/sandbox")

    async def tamper(route: Route) -> None:
        # The window's answer is a redirect to the success page; the buyer edits the amount
        # in it before the page loads: 9,000원 becomes 100원.
        answer = await route.fetch(max_redirects=0)
        parts = urlsplit(answer.headers["location"])
        query = {**dict(parse_qsl(parts.query)), "amount": "100"}
        edited = parts._replace(query=urlencode(query)).geturl()
        await route.fulfill(status=303, headers={"Location": edited})

    await page.route(f"{newcomer.url}/sandbox/checkout", tamper)
    await page.get_by_role("button", name="결제 승인").click()
    await page.wait_for_url(f"{shop}/success.html?**amount=100**")

    await expect(page.locator("#status")).to_contain_text("AMOUNT_MISMATCH", timeout=TIMEOUT_MS)
    assert await _order_status(newcomer, order_id) == "PENDING"


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


def _publish(folder: Path, name: str, api: ServerProcess) -> None:
    """The storefront's files under /name/, with the config.json a deployment writes."""
    target = folder / name
    shutil.copytree(STOREFRONT, target, dirs_exist_ok=True)
    config = {
        "apiUrl": f"{api.url}/graphql",
        "clientKey": "test_ck_sandbox",
        "sdkUrl": f"{api.url}/sandbox/v2/standard",
        "demoToken": printed(api, "Demo buyer token"),
        "catalog": [{"sku": "americano", "name": PRODUCT, "price": 4500}],
    }
    (target / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")


async def test_the_storefront_on_another_origin_pays_when_cors_allows_it(
    storefront_site: tuple[str, Path], cors_api: ServerProcess, browser_page: BrowserPage
) -> None:
    site_url, folder = storefront_site
    _publish(folder, "allowed", cors_api)
    page, log = browser_page.page, browser_page.log
    order_id = await _order_and_open_window(page, f"{site_url}/allowed", f"{cors_api.url}/sandbox")
    await _approve_and_see_paid(page, f"{site_url}/allowed")
    assert await _order_status(cors_api, order_id) == "PAID"
    assert log.errors == [] and log.console_errors() == []


async def test_the_storefront_on_another_origin_is_refused_without_cors(
    storefront_site: tuple[str, Path], newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    site_url, folder = storefront_site
    _publish(folder, "refused", newcomer)
    page, log = browser_page.page, browser_page.log
    await page.goto(f"{site_url}/refused/index.html")
    await page.get_by_label(f"{PRODUCT} quantity").fill("1")
    await page.get_by_role("button", name="Order and pay").click()

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


async def test_a_pending_payment_is_followed_until_it_settles(
    settling_api: ServerProcess, browser_page: BrowserPage
) -> None:
    """Toss approves but its replies are lost, and no webhook comes: the success page shows
    PAYMENT_PENDING, then follows the order live, over the `orderUpdated` subscription, until
    the reconciler reads Toss's record."""
    page, log = browser_page.page, browser_page.log
    shop = f"{settling_api.url}/demo"
    order_id = await _order_and_open_window(page, shop, f"{settling_api.url}/sandbox")
    async with httpx.AsyncClient(base_url=f"{settling_api.url}/sandbox") as sandbox:
        webhook_url = (await sandbox.get("/admin/webhook")).json()["url"]
        assert (await sandbox.put("/admin/webhook", json={"url": None})).status_code == 200
        fault = {"method": "POST", "path": "/v1/payments/confirm", "kind": "drop_after_commit"}
        added = await sandbox.post("/admin/faults", json={**fault, "times": 10})
        assert added.status_code == 201, added.text
    try:
        await page.get_by_role("button", name="결제 승인").click()
        await page.wait_for_url(f"{shop}/success.html?**")
        await expect(page.locator("#status")).to_contain_text("PAYMENT_PENDING", timeout=60_000)
        await expect(page.locator("#status")).to_have_text("Paid.", timeout=60_000)
        await expect(page.locator("#order-status")).to_have_text("PAID")
    finally:
        async with httpx.AsyncClient(base_url=f"{settling_api.url}/sandbox") as sandbox:
            await sandbox.delete("/admin/faults")
            await sandbox.put("/admin/webhook", json={"url": webhook_url})

    assert await _order_status(settling_api, order_id) == "PAID"
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
    await page.wait_for_url(f"{newcomer.url}/sandbox/checkout?**")
    order_id = dict(parse_qsl(urlsplit(page.url).query))["orderId"]
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
    """Every document the shop sends is one of operations/: paid, seen in the list, canceled,
    against an API that runs nothing else."""
    page, log = browser_page.page, browser_page.log
    shop = f"{trusted_api.url}/demo"
    order_id = await _order_and_open_window(page, shop, f"{trusted_api.url}/sandbox")
    await _approve_and_see_paid(page, shop)
    await page.goto(f"{shop}/orders.html")
    row = page.locator(f"#order-{order_id}")
    await row.get_by_role("button", name="Cancel").click()
    await expect(row.locator(".order-status")).to_have_text("CANCELED", timeout=TIMEOUT_MS)

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
