"""The storefront's widget checkout in Chromium, on a real `serve` with its built-in sandbox:
the SDK's refusals in the shopper's words, each method's receipt on the success page, and a
virtual account from its issue to its deposit (the sandbox's admin endpoint over HTTP, then
the webhook) to its refund into a bank account the buyer types in My orders."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import BrowserPage
from tests.browser.shop_steps import (
    TERMS,
    TIMEOUT_MS,
    approve,
    approve_and_see_paid,
    expect_no_empty_label,
    order_and_reach_window,
    order_in_shop,
    order_status,
    pay_button,
    reach_widget,
    row,
    take_screenshot,
)
from tests.support.servers import ServerProcess


async def test_unagreed_terms_are_asked_for_in_korean_and_nothing_opens(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    shop, sandbox = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"
    await order_in_shop(page, shop)
    await reach_widget(page, shop)
    checkout_url = page.url
    await page.get_by_role("checkbox", name=TERMS).uncheck()
    await pay_button(page).click()

    refusal = page.get_by_role("alert")
    await expect(refusal).to_have_text("결제를 진행하려면 필수 약관에 동의해 주세요.")
    await expect(refusal).to_have_attribute("data-code", "NEED_AGREEMENT_WITH_REQUIRED_TERMS")
    assert page.url == checkout_url
    await expect(pay_button(page)).to_be_enabled()

    # Agreeing clears the words, and the same button pays.
    await page.get_by_role("checkbox", name=TERMS).check()
    await expect(refusal).to_be_hidden()
    await pay_button(page).click()
    await page.wait_for_url(f"{sandbox}/checkout?**", timeout=TIMEOUT_MS)
    assert log.errors == [] and log.console_errors() == []


@pytest.mark.parametrize(
    ("method", "shown"),
    [
        ("카드", {"Method": "카드", "Installments": "Lump sum"}),
        ("토스페이", {"Method": "간편결제", "Easy pay": "토스페이"}),
        ("계좌이체", {"Method": "계좌이체"}),
        ("휴대폰", {"Method": "휴대폰", "Phone": "01012345678"}),
    ],
)
async def test_the_success_page_shows_what_the_receipt_needs_for_each_method(
    newcomer: ServerProcess, browser_page: BrowserPage, method: str, shown: dict[str, str]
) -> None:
    page, log = browser_page.page, browser_page.log
    shop, sandbox = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"
    await order_and_reach_window(page, shop, sandbox, method)
    await approve_and_see_paid(page, shop)
    for label, value in shown.items():
        await expect(row(page, label)).to_have_text(value)
    if method == "카드":
        await expect(row(page, "Card")).to_have_text(re.compile(r"\S+ [0-9*]{12,}"))
    if method == "계좌이체":
        await expect(row(page, "Bank")).not_to_be_empty()
    await expect(row(page, "Receipt").get_by_role("link", name="View receipt")).to_be_visible()
    assert log.errors == [] and log.console_errors() == []


async def test_a_virtual_account_is_shown_paid_on_deposit_and_refunded_to_a_typed_account(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page, log = browser_page.page, browser_page.log
    shop, sandbox_url = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"
    order_id = await order_and_reach_window(page, shop, sandbox_url, "가상계좌")
    payment_key = (await approve(page, shop))["paymentKey"]

    # Issued: the account to pay into, while a spinner says what is awaited.
    status = page.locator("#status")
    await expect(status).to_have_class("waiting", timeout=TIMEOUT_MS)
    await expect(status).to_contain_text("Almost done: transfer 9,000원 to the account below by ")
    await expect(row(page, "Account number", "#account")).to_have_text(re.compile(r"X[0-9]{13}"))
    await expect(row(page, "Bank", "#account")).not_to_be_empty()
    due = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d KST")
    await expect(row(page, "Pay by", "#account")).to_have_text(due)
    await expect(row(page, "Status")).to_have_text("Waiting for your transfer")
    await expect_no_empty_label(page)
    await take_screenshot(page, "storefront-deposit.png")

    # The buyer transfers; the sandbox tells the API by webhook, the page follows it live.
    async with httpx.AsyncClient(base_url=sandbox_url) as sandbox:
        deposit = await sandbox.post(f"/admin/virtual-accounts/{payment_key}/deposit")
        assert deposit.status_code == 200, deposit.text
    await expect(status).to_have_text("Paid.", timeout=TIMEOUT_MS)
    await expect(page.locator("#deposit")).to_be_hidden()
    await expect(row(page, "Method")).to_have_text("가상계좌")
    await expect(row(page, "Account")).to_have_text(re.compile(r".+ X[0-9]{13}"))
    await expect_no_empty_label(page)

    # A deposited account is refunded to the bank account the buyer names.
    await page.goto(f"{shop}/orders.html")
    order_row = page.locator(f"#order-{order_id}")
    await order_row.get_by_role("button", name="Cancel").click()
    await expect(page.locator("#status")).to_have_text("Choose the bank to refund to.")
    await order_row.get_by_label(f"Refund bank for {order_id}").select_option(label="신한")
    await order_row.get_by_label(f"Refund account number for {order_id}").fill("110-123-456789")
    await order_row.get_by_label(f"Refund account holder for {order_id}").fill("김토스")
    await order_row.get_by_role("button", name="Cancel").click()
    await expect(page.locator("#status")).to_have_text(
        f"Canceled 9,000원 of {order_id}, refunded to the 신한 account."
    )
    await expect(order_row.locator(".order-status")).to_have_attribute("data-status", "CANCELED")

    async with httpx.AsyncClient(base_url=sandbox_url) as sandbox:
        refunds = (await sandbox.get(f"/admin/virtual-accounts/{payment_key}/refunds")).json()
    [refund] = refunds["refunds"]
    assert (refund["bank"], refund["accountNumber"], refund["holderName"]) == (
        "88",
        "110123456789",
        "김토스",
    )
    assert refund["cancelAmount"] == 9000
    assert await order_status(newcomer, order_id) == "CANCELED"
    assert log.errors == [] and log.console_errors() == []


async def test_a_virtual_account_still_waiting_is_closed_whole_without_an_account(
    newcomer: ServerProcess, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    shop, sandbox = f"{newcomer.url}/demo", f"{newcomer.url}/sandbox"
    order_id = await order_and_reach_window(page, shop, sandbox, "가상계좌")
    await approve(page, shop)
    await expect(row(page, "Status")).to_have_text("Waiting for your transfer", timeout=TIMEOUT_MS)

    await page.goto(f"{shop}/orders.html")
    order_row = page.locator(f"#order-{order_id}")
    await expect(order_row.get_by_role("spinbutton")).to_have_count(0)
    await expect(order_row.get_by_role("group", name="Refund to")).to_have_count(0)
    await order_row.get_by_role("button", name="Cancel").click()
    await expect(page.locator("#status")).to_have_text(
        f"Canceled {order_id}: its virtual account is closed, nothing had been paid into it."
    )
    await expect(order_row.locator(".order-status")).to_have_attribute(
        "data-status", "CANCELED", timeout=TIMEOUT_MS
    )
    assert await order_status(newcomer, order_id) == "CANCELED"
