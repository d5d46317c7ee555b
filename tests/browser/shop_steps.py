"""What a shopper does in the reference storefront, step by step, for the storefront's browser
tests: order in the shop, pay on the widget's checkout page or in Toss's window (the
sandbox's), and what the pages must show for it."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
from playwright.async_api import Locator, Page, expect

from tests.support.flows import ORDER
from tests.support.servers import ServerProcess, printed
from toss_graphql.web.storefront import STOREFRONT

PRODUCT = "아메리카노"  # 4,500원 in the demo catalog: two make 9,000원
TIMEOUT_MS = 20_000
# The widget draws its methods under this name, and its required terms as this checkbox.
METHODS = "결제 방법"
TERMS = "[필수] 결제 서비스 이용 약관, 개인정보 처리 동의"


def screenshot_path(name: str) -> Path | None:
    """Where README's screenshot `name` goes when the run takes them (SCREENSHOTS_DIR)."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    return Path(folder) / name if folder else None


async def take_screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    if path := screenshot_path(name):
        await page.screenshot(path=path, full_page=full_page)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


async def order_in_shop(
    page: Page, shop_url: str, quantity: int = 2, screenshot: str | None = None
) -> None:
    """Picks `quantity` americanos on the shop page and presses "Order and pay"."""
    await page.goto(f"{shop_url}/index.html")
    await page.get_by_label(f"{PRODUCT} quantity").fill(str(quantity))
    if screenshot:
        await take_screenshot(page, screenshot)
    await page.get_by_role("button", name="Order and pay").click()


async def reach_widget(page: Page, shop_url: str) -> str:
    """Waits for the checkout page to draw the widget; returns the orderId it is for."""
    await page.wait_for_url(f"{shop_url}/checkout.html?**", timeout=TIMEOUT_MS)
    await expect(page.get_by_role("group", name=METHODS).get_by_role("radio")).to_have_count(7)
    await expect(pay_button(page)).to_be_enabled()
    return query_of(page.url)["orderId"]


def pay_button(page: Page) -> Locator:
    return page.get_by_role("button", name=re.compile(r"^Pay [0-9,]+원$"))


async def pay_with_widget(page: Page, sandbox_url: str, method: str = "카드") -> None:
    """On the checkout page, picks `method` in the widget and pays: Toss's window opens on it."""
    await page.get_by_role("group", name=METHODS).get_by_role("radio", name=method).check()
    await pay_button(page).click()
    await page.wait_for_url(f"{sandbox_url}/checkout?**", timeout=TIMEOUT_MS)
    await expect(page.get_by_role("radio", name=method)).to_be_checked()


async def order_and_reach_window(
    page: Page, shop_url: str, sandbox_url: str, method: str = "카드"
) -> str:
    """The widget path from the shop to Toss's window; returns the orderId."""
    await order_in_shop(page, shop_url)
    order_id = await reach_widget(page, shop_url)
    await pay_with_widget(page, sandbox_url, method)
    return order_id


async def approve(page: Page, shop_url: str) -> dict[str, str]:
    """In the open window, approve; returns the success page's query."""
    await page.get_by_role("button", name="결제 승인").click()
    await page.wait_for_url(f"{shop_url}/success.html?**", timeout=TIMEOUT_MS)
    return query_of(page.url)


async def approve_and_see_paid(page: Page, shop_url: str) -> dict[str, str]:
    landed = await approve(page, shop_url)
    await expect(page.locator("#status")).to_have_text("Paid.", timeout=TIMEOUT_MS)
    await expect(row(page, "Status")).to_have_text("Paid")
    await expect_no_empty_label(page)
    return landed


def row(page: Page, label: str, list_selector: str = "#details") -> Locator:
    """The value of the row `label` in a <dl> of the page."""
    return page.locator(f"{list_selector} dt:text-is('{label}') + dd")


async def expect_no_empty_label(page: Page) -> None:
    """Every label the page shows has a value: no visible <dd> is empty, none is left over."""
    shown = await page.evaluate(
        """() => [...document.querySelectorAll("dt, dd")]
                 .filter((item) => item.checkVisibility())
                 .map((item) => [item.tagName, item.textContent.trim()])"""
    )
    assert all(text for _, text in shown), shown
    tags = [tag for tag, _ in shown]
    assert tags == ["DT", "DD"] * (len(tags) // 2), shown


async def order_status(server: ServerProcess, order_id: str) -> str:
    token = printed(server, "Demo buyer token")
    async with httpx.AsyncClient(base_url=server.url) as client:
        answer = await client.post(
            "/graphql",
            json={"query": ORDER, "variables": {"orderId": order_id}},
            headers={"Authorization": f"Bearer {token}"},
        )
    status: str = answer.json()["data"]["order"]["status"]
    return status


def publish(folder: Path, name: str, api: ServerProcess, checkout: str = "widget") -> None:
    """The storefront's files under /name/, with the config.json a deployment writes."""
    target = folder / name
    shutil.copytree(STOREFRONT, target, dirs_exist_ok=True)
    config = {
        "apiUrl": f"{api.url}/graphql",
        "checkout": checkout,
        "widgetClientKey": "test_gck_sandbox",
        "clientKey": "test_ck_sandbox",
        "sdkUrl": f"{api.url}/sandbox/v2/standard",
        "demoToken": printed(api, "Demo buyer token"),
        "catalog": [{"sku": "americano", "name": PRODUCT, "price": 4500}],
    }
    (target / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
