"""Every method the sandbox's window and widget offer, confirmed and shaped as Toss shapes
it (docs/toss-api.md §3), and the widget's keys paired as Toss pairs them (§1)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .driver import SandboxDriver, basic_auth, new_order_id

WIDGET_CLIENT_KEY = "test_gck_sandbox"
WIDGET_SECRET_KEY = "test_gsk_sandbox"
_RECEIPT = re.compile(r"https?://[^/]+/receipt/tgen_\w+")


async def _confirmed(
    toss: SandboxDriver, method: str, *, headers: dict[str, str] | None = None, **fields: str
) -> dict[str, Any]:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id, 12_000, method=method, **fields)
    response = await toss.confirm(payment_key, order_id, 12_000, headers=headers)
    assert response.status_code == 200, response.text
    payment: dict[str, Any] = response.json()
    assert (payment["status"], payment["totalAmount"]) == ("DONE", 12_000)
    return payment


@pytest.mark.parametrize(
    ("code", "provider"),
    [("TOSSPAY", "토스페이"), ("NAVERPAY", "네이버페이"), ("KAKAOPAY", "카카오페이")],
)
async def test_easy_pay_is_one_method_with_its_provider_and_no_card(
    toss: SandboxDriver, code: str, provider: str
) -> None:
    payment = await _confirmed(toss, code)

    assert payment["method"] == "간편결제"
    assert payment["easyPay"] == {"provider": provider, "amount": 12_000, "discountAmount": 0}
    assert (payment["card"], payment["transfer"], payment["mobilePhone"]) == (None, None, None)
    assert _RECEIPT.fullmatch(payment["receipt"]["url"])


async def test_easy_pay_speaks_english_codes_under_en_us(toss: SandboxDriver) -> None:
    payment = await _confirmed(toss, "TOSSPAY", headers={"Accept-Language": "en-US"})

    assert payment["method"] == "EASY_PAY"
    assert payment["easyPay"]["provider"] == "TOSSPAY"


async def test_transfer_carries_the_bank_and_its_settlement(toss: SandboxDriver) -> None:
    payment = await _confirmed(toss, "TRANSFER")

    assert payment["method"] == "계좌이체"
    assert re.fullmatch(r"\d\d", payment["transfer"].pop("bankCode"))
    assert payment["transfer"] == {"settlementStatus": "COMPLETED"}
    assert (payment["card"], payment["easyPay"], payment["virtualAccount"]) == (None, None, None)


async def test_mobile_phone_carries_the_buyers_number_and_a_receipt(toss: SandboxDriver) -> None:
    payment = await _confirmed(toss, "MOBILE_PHONE", customerMobilePhone="010-9876-5432")

    assert payment["method"] == "휴대폰"
    phone = payment["mobilePhone"]
    assert (phone["customerMobilePhone"], phone["settlementStatus"]) == (
        "01098765432",
        "COMPLETED",
    )
    assert _RECEIPT.fullmatch(phone["receiptUrl"])
    assert payment["card"] is None


async def test_a_mobile_phone_number_that_is_not_8_to_15_digits_is_refused(
    toss: SandboxDriver,
) -> None:
    response = await toss.submit_checkout(
        new_order_id(), method="MOBILE_PHONE", customerMobilePhone="010-12"
    )

    assert response.status_code == 400
    assert "INVALID_REQUEST" in response.text


async def test_the_window_opens_with_the_method_the_widget_picked(toss: SandboxDriver) -> None:
    page = await toss.client.get(
        "/checkout",
        params={
            "clientKey": WIDGET_CLIENT_KEY,
            "orderId": new_order_id(),
            "orderName": "위젯 주문",
            "amount": "5000",
            "successUrl": "https://shop.example/s",
            "failUrl": "https://shop.example/f",
            "method": "NAVERPAY",
            "customerMobilePhone": "01055556666",
        },
    )

    assert page.status_code == 200
    assert re.search(r'value="NAVERPAY" checked>\s*네이버페이', page.text)
    assert page.text.count(" checked>") == 1
    assert 'value="01055556666"' in page.text


async def test_a_widget_checkout_is_confirmed_with_the_widget_secret_key(
    toss: SandboxDriver,
) -> None:
    payment = await _confirmed(
        toss,
        "CARD",
        headers={"Authorization": basic_auth(WIDGET_SECRET_KEY)},
        clientKey=WIDGET_CLIENT_KEY,
    )

    assert payment["method"] == "카드"


@pytest.mark.parametrize(
    ("client_key", "secret_key"),
    [(WIDGET_CLIENT_KEY, "test_sk_sandbox"), ("test_ck_sandbox", WIDGET_SECRET_KEY)],
)
async def test_a_confirm_with_the_secret_key_of_the_other_set_is_invalid_api_key(
    toss: SandboxDriver, client_key: str, secret_key: str
) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id, clientKey=client_key)

    refused = await toss.confirm(
        payment_key, order_id, headers={"Authorization": basic_auth(secret_key)}
    )
    right_key = WIDGET_SECRET_KEY if secret_key.startswith("test_sk_") else "test_sk_sandbox"
    accepted = await toss.confirm(
        payment_key, order_id, headers={"Authorization": basic_auth(right_key)}
    )

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_API_KEY")
    assert refused.json()["message"] == "잘못된 시크릿키 연동 정보 입니다."
    # The refusal changed nothing: the payment is still there to confirm with the right key.
    assert accepted.status_code == 200, accepted.text


async def test_the_window_keeps_the_buyer_name_the_page_sent_for_the_account(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    page = await toss.client.get(
        "/checkout",
        params={
            "clientKey": "test_ck_sandbox",
            "orderId": order_id,
            "orderName": "이름 주문",
            "amount": "5000",
            "successUrl": "https://shop.example/s",
            "failUrl": "https://shop.example/f",
            "customerName": "박토스",
        },
    )

    assert 'name="customerName" value="박토스"' in page.text
