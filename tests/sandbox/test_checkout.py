from __future__ import annotations

import httpx
import pytest

from .conftest import SandboxFactory
from .driver import FAIL_URL, SUCCESS_URL, SandboxDriver, checkout_form, new_order_id


def _query_of(response: httpx.Response) -> dict[str, str]:
    return dict(httpx.URL(response.headers["location"]).params)


async def test_checkout_page_shows_the_order_and_a_form_posting_every_field(
    client: httpx.AsyncClient,
) -> None:
    order_id = new_order_id()
    params = checkout_form(order_id, 12_345, orderName="<b>머그컵</b>")
    del params["decision"]

    response = await client.get("/checkout", params=params)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "12,345원" in page
    assert "&lt;b&gt;머그컵&lt;/b&gt;" in page
    assert "<b>머그컵" not in page
    assert '<form method="post" action="checkout">' in page
    for name, value in (("orderId", order_id), ("amount", "12345"), ("successUrl", SUCCESS_URL)):
        assert f'name="{name}" value="{value}"' in page
    for decision in ("approve", "PAY_PROCESS_CANCELED", "REJECT_CARD_COMPANY"):
        assert f'name="decision" value="{decision}"' in page
    assert 'name="method" value="CARD" checked' in page
    assert 'name="method" value="VIRTUAL_ACCOUNT"' in page


async def test_checkout_page_for_an_invalid_order_is_a_400_page(client: httpx.AsyncClient) -> None:
    params = checkout_form("short")
    del params["decision"]

    response = await client.get("/checkout", params=params)

    assert response.status_code == 400
    assert "INVALID_ORDER_ID" in response.text


async def test_approving_redirects_to_success_url_with_the_payment(toss: SandboxDriver) -> None:
    order_id = new_order_id()

    response = await toss.submit_checkout(order_id, 15_000)

    assert response.status_code == 303
    query = _query_of(response)
    assert query["paymentType"] == "NORMAL"
    assert query["orderId"] == order_id
    assert query["amount"] == "15000"
    assert query["paymentKey"].startswith("tgen_")
    assert len(query["paymentKey"]) <= 200
    assert response.headers["location"].startswith(SUCCESS_URL + "?")


async def test_approving_keeps_the_success_url_query(toss: SandboxDriver) -> None:
    response = await toss.submit_checkout(
        new_order_id(), successUrl="https://shop.example/ok?cart=7&ref=a%20b"
    )

    location = response.headers["location"]
    assert location.startswith("https://shop.example/ok?cart=7&ref=a%20b&paymentType=NORMAL&")


async def test_every_approval_gets_a_distinct_payment_key(toss: SandboxDriver) -> None:
    keys = {await toss.approve_checkout(new_order_id()) for _ in range(5)}

    assert len(keys) == 5


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ("PAY_PROCESS_CANCELED", "사용자에 의해 결제가 취소되었습니다."),
        ("REJECT_CARD_COMPANY", "결제 승인이 거절되었습니다."),
        ("PAY_PROCESS_ABORTED", "결제 진행 중 승인에 실패하여 결제가 중단되었습니다."),
    ],
)
async def test_failing_redirects_to_fail_url_and_creates_no_payment(
    toss: SandboxDriver, decision: str, message: str
) -> None:
    order_id = new_order_id()

    response = await toss.submit_checkout(order_id, decision=decision)

    assert response.status_code == 303
    assert response.headers["location"].startswith(FAIL_URL + "?")
    assert _query_of(response) == {"code": decision, "message": message, "orderId": order_id}
    assert (await toss.get(f"/v1/payments/orders/{order_id}")).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("clientKey", "live_ck_merchant", "INVALID_CLIENT_KEY"),
        ("clientKey", "test_ck_", "INVALID_CLIENT_KEY"),
        ("orderId", "abc12", "INVALID_ORDER_ID"),
        ("orderId", "order#12345", "INVALID_ORDER_ID"),
        ("orderId", "o" * 65, "INVALID_ORDER_ID"),
        ("orderName", "", "INVALID_ORDER_NAME"),
        ("orderName", "가" * 101, "INVALID_ORDER_NAME"),
        ("amount", "99", "BELOW_MINIMUM_AMOUNT"),
        ("amount", "100.5", "INVALID_REQUEST"),
        ("amount", "-1000", "INVALID_REQUEST"),
        ("successUrl", "javascript:alert(1)", "INCORRECT_SUCCESS_URL_FORMAT"),
        ("failUrl", "ftp://shop.example/fail", "INCORRECT_FAIL_URL_FORMAT"),
        ("decision", "approve please", "INVALID_REQUEST"),
        ("method", "BITCOIN", "INVALID_REQUEST"),
        ("customerName", "김" * 101, "INVALID_REQUEST"),
    ],
)
async def test_invalid_checkout_gets_a_400_page_naming_the_problem(
    toss: SandboxDriver, field: str, value: str, code: str
) -> None:
    form = checkout_form(new_order_id())
    form[field] = value

    response = await toss.client.post("/checkout", data=form)

    assert response.status_code == 400
    assert "location" not in response.headers
    assert code in response.text


async def test_only_the_configured_client_key_opens_the_window(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox = await make_sandbox(client_key="test_ck_configured")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sandbox.test"
    ) as client:
        other = await client.post(
            "/checkout", data=checkout_form(new_order_id(), clientKey="test_ck_other")
        )
        configured = await client.post(
            "/checkout", data=checkout_form(new_order_id(), clientKey="test_ck_configured")
        )

    assert other.status_code == 400
    assert "INVALID_CLIENT_KEY" in other.text
    assert configured.status_code == 303


async def test_checkout_of_an_approved_order_fails_with_duplicated_order_id(
    toss: SandboxDriver,
) -> None:
    order_id, _, _ = await toss.paid_order()

    response = await toss.submit_checkout(order_id)

    assert response.status_code == 303
    query = _query_of(response)
    assert query["code"] == "DUPLICATED_ORDER_ID"
    assert query["orderId"] == order_id


async def test_unconfirmed_order_can_be_checked_out_again_under_a_new_key(
    toss: SandboxDriver,
) -> None:
    order_id = new_order_id()
    first_key = await toss.approve_checkout(order_id)

    second_key = await toss.approve_checkout(order_id)
    confirmed = await toss.confirm(second_key, order_id)

    assert second_key != first_key
    assert confirmed.status_code == 200
    stale = await toss.confirm(first_key, order_id)
    assert stale.status_code == 400
    assert stale.json()["code"] == "DUPLICATED_ORDER_ID"
