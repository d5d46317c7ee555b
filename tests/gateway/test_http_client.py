"""The pooled client: Toss's Basic auth, JSON headers, base URL and timeouts."""

from __future__ import annotations

import httpx
import pytest
import respx

from toss_graphql.domain.ports.gateway import Checkout, GatewayTechnicalError, PaymentGateway
from toss_graphql.gateway import TossGateway, TossGatewayConfig, create_http_client

from .payloads import AMOUNT, CONFIRM_PATH, ORDER_ID, PAYMENT_KEY, SECRET_KEY, payment_json

SANDBOX_URL = "http://127.0.0.1:8000/sandbox"


def test_the_gateway_implements_the_domain_port(gateway: TossGateway) -> None:
    # mypy checks the assignment structurally; the assert keeps it a test at run time too.
    port: PaymentGateway = gateway
    assert port is gateway


async def test_authorization_is_basic_with_the_secret_key_and_a_trailing_colon() -> None:
    config = TossGatewayConfig(base_url=SANDBOX_URL, secret_key="test_sk_x", backoff_seconds=0)
    with respx.mock(base_url=SANDBOX_URL) as toss:
        route = toss.post(CONFIRM_PATH).respond(200, json=payment_json())
        async with create_http_client(config) as http_client:
            await TossGateway(http_client, config).confirm(
                payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT
            )

    # base64("test_sk_x:"), spelled out so the test does not share the code's encoding.
    assert route.calls.last.request.headers["Authorization"] == "Basic dGVzdF9za194Og=="


async def test_requests_keep_the_base_url_path_prefix() -> None:
    config = TossGatewayConfig(base_url=SANDBOX_URL, secret_key="test_sk_sandbox")
    with respx.mock(assert_all_mocked=True) as toss:
        route = toss.get(f"{SANDBOX_URL}/v1/payments/{PAYMENT_KEY}").respond(
            200, json=payment_json()
        )
        async with create_http_client(config) as http_client:
            await TossGateway(http_client, config).get_payment(PAYMENT_KEY)

    assert route.calls.last.request.url.path == f"/sandbox/v1/payments/{PAYMENT_KEY}"


async def test_requests_declare_and_accept_json(
    gateway: TossGateway, toss: respx.MockRouter
) -> None:
    route = toss.get(f"/v1/payments/orders/{ORDER_ID}").respond(200, json=payment_json())

    await gateway.get_payment_by_order_id(ORDER_ID)

    headers = route.calls.last.request.headers
    assert (headers["Content-Type"], headers["Accept"]) == ("application/json", "application/json")


async def test_the_client_uses_the_default_timeouts() -> None:
    config = TossGatewayConfig(base_url="https://api.tosspayments.com", secret_key=SECRET_KEY)

    async with create_http_client(config) as http_client:
        assert http_client.timeout == httpx.Timeout(connect=3.0, read=30.0, write=10.0, pool=5.0)


def test_the_config_repr_leaves_out_the_secret_key() -> None:
    config = TossGatewayConfig(base_url="https://api.tosspayments.com", secret_key=SECRET_KEY)

    assert SECRET_KEY not in repr(config)


@pytest.mark.parametrize(
    ("base_url", "secret_key", "max_attempts", "backoff_seconds", "refused"),
    [
        ("api.tosspayments.com", SECRET_KEY, 3, 0.2, "base_url"),
        ("https://api.tosspayments.com", "", 3, 0.2, "secret_key"),
        ("https://api.tosspayments.com", "\ufefftest_sk_x", 3, 0.2, "secret_key"),
        ("https://api.tosspayments.com", "test_sk_x\n", 3, 0.2, "secret_key"),
        ("https://api.tosspayments.com", SECRET_KEY, 0, 0.2, "max_attempts"),
        ("https://api.tosspayments.com", SECRET_KEY, 3, -1.0, "backoff_seconds"),
    ],
    ids=["no-scheme", "empty-key", "bom-key", "newline-key", "zero-attempts", "negative-backoff"],
)
def test_an_unusable_config_is_refused_at_construction(
    base_url: str, secret_key: str, max_attempts: int, backoff_seconds: float, refused: str
) -> None:
    with pytest.raises(ValueError, match=refused) as raised:
        TossGatewayConfig(
            base_url=base_url,
            secret_key=secret_key,
            max_attempts=max_attempts,
            backoff_seconds=backoff_seconds,
        )
    assert "test_sk_" not in str(raised.value)


def test_a_negative_cancel_retry_spacing_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="cancel_retry_spacing_seconds"):
        TossGatewayConfig(
            base_url="https://api.tosspayments.com",
            secret_key=SECRET_KEY,
            cancel_retry_spacing_seconds=-1.0,
        )


def test_cancel_retries_wait_a_second_by_default() -> None:
    config = TossGatewayConfig(base_url="https://api.tosspayments.com", secret_key="test_sk_x")

    assert config.cancel_retry_spacing_seconds == 1.0


async def test_each_call_carries_the_secret_key_of_its_checkouts_key_set() -> None:
    config = TossGatewayConfig(
        base_url=SANDBOX_URL,
        secret_key="test_sk_x",
        widget_secret_key="test_gsk_x",
        backoff_seconds=0,
    )
    with respx.mock(base_url=SANDBOX_URL) as toss:
        route = toss.get(f"/v1/payments/{PAYMENT_KEY}").respond(200, json=payment_json())
        async with create_http_client(config) as http_client:
            gateway = TossGateway(http_client, config)
            await gateway.get_payment(PAYMENT_KEY, checkout=Checkout.WIDGET)
            await gateway.get_payment(PAYMENT_KEY, checkout=Checkout.PAYMENT_WINDOW)

    # base64("test_gsk_x:") and base64("test_sk_x:"), spelled out.
    assert [call.request.headers["Authorization"] for call in route.calls] == [
        "Basic dGVzdF9nc2tfeDo=",
        "Basic dGVzdF9za194Og==",
    ]


async def test_a_checkout_with_no_key_configured_is_not_sent_and_stays_open() -> None:
    config = TossGatewayConfig(base_url=SANDBOX_URL, secret_key="test_sk_x")
    with respx.mock(base_url=SANDBOX_URL, assert_all_called=False) as toss:
        route = toss.post(CONFIRM_PATH).respond(200, json=payment_json())
        async with create_http_client(config) as http_client:
            with pytest.raises(GatewayTechnicalError, match="for WIDGET checkouts"):
                await TossGateway(http_client, config).confirm(
                    payment_key=PAYMENT_KEY,
                    order_id=ORDER_ID,
                    amount=AMOUNT,
                    checkout=Checkout.WIDGET,
                )

    assert not route.called


def test_the_config_needs_a_key_and_keeps_both_out_of_its_repr() -> None:
    with pytest.raises(ValueError, match="secret_key or widget_secret_key"):
        TossGatewayConfig(base_url=SANDBOX_URL, secret_key=None)
    config = TossGatewayConfig(
        base_url=SANDBOX_URL, secret_key=None, widget_secret_key="test_gsk_secret"
    )
    assert "test_gsk_secret" not in repr(config)
