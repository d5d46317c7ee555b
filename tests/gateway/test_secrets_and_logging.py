"""One log line per exchange, and the secret key in no message and no log record."""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
import respx

from toss_graphql.domain.ports.gateway import GatewayError
from toss_graphql.gateway import TossGateway

from .payloads import (
    AMOUNT,
    CANCEL_PATH,
    CANCEL_REASON,
    CONFIRM_PATH,
    ORDER_ID,
    PAYMENT_KEY,
    SECRET_KEY,
    payment_json,
    toss_error,
)

LOGGER = "toss_graphql.gateway"
SECRETS = (SECRET_KEY, base64.b64encode(f"{SECRET_KEY}:".encode()).decode())


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    current: BaseException | None = error
    while current is not None:
        yield current
        current = current.__cause__ or current.__context__


async def confirm(gateway: TossGateway) -> object:
    return await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)


async def cancel(gateway: TossGateway) -> object:
    return await gateway.cancel(
        payment_key=PAYMENT_KEY,
        cancel_reason=CANCEL_REASON,
        cancel_amount=3000,
        refundable_amount=AMOUNT,
        idempotency_key="cancel-3f1c2a9e",
    )


@pytest.mark.parametrize(
    ("path", "call"),
    [(CONFIRM_PATH, confirm), (CANCEL_PATH, cancel)],
    ids=["confirm", "cancel"],
)
@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(401, json=toss_error("UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키")),
        httpx.Response(500, json=toss_error("COMMON_ERROR", "일시적인 오류")),
        httpx.Response(400, html="<h1>Bad Request</h1>"),
        httpx.Response(200, content=b"not json"),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
    ],
    ids=["401", "500", "400-html", "200-not-json", "connect-error", "read-timeout"],
)
async def test_the_secret_key_appears_in_no_error_and_no_log_record(
    gateway: TossGateway,
    toss: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    reply: httpx.Response | Exception,
    path: str,
    call: Callable[[TossGateway], Awaitable[object]],
) -> None:
    route = toss.post(path)
    if isinstance(reply, httpx.Response):
        route.mock(return_value=reply)
    else:
        route.mock(side_effect=reply)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(GatewayError) as raised:
        await call(gateway)

    texts = [text for error in exception_chain(raised.value) for text in (str(error), repr(error))]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records
    assert not [text for text in texts if any(secret in text for secret in SECRETS)]


async def test_each_attempt_is_logged_once_with_status_attempt_and_toss_code(
    gateway: TossGateway, toss: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    toss.post(CONFIRM_PATH).mock(
        side_effect=[
            httpx.Response(500, json=toss_error("COMMON_ERROR", "일시적인 오류")),
            httpx.Response(200, json=payment_json()),
        ]
    )
    caplog.set_level(logging.INFO, logger=LOGGER)

    await gateway.confirm(payment_key=PAYMENT_KEY, order_id=ORDER_ID, amount=AMOUNT)

    records = [record for record in caplog.records if record.name == LOGGER]
    assert [record.levelno for record in records] == [logging.WARNING, logging.INFO]
    failed, succeeded = (record.getMessage() for record in records)
    assert failed.startswith(f"toss POST {CONFIRM_PATH} status=500 attempt=1/3 elapsed_ms=")
    assert failed.endswith("code=COMMON_ERROR")
    assert succeeded.startswith(f"toss POST {CONFIRM_PATH} status=200 attempt=2/3 elapsed_ms=")


async def test_a_network_failure_is_logged_with_its_exception_class(
    gateway: TossGateway, toss: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    toss.get(f"/v1/payments/{PAYMENT_KEY}").mock(
        side_effect=[httpx.ConnectTimeout("timed out"), httpx.Response(200, json=payment_json())]
    )
    caplog.set_level(logging.INFO, logger=LOGGER)

    await gateway.get_payment(PAYMENT_KEY)

    first = next(record for record in caplog.records if record.name == LOGGER)
    assert "status=ConnectTimeout attempt=1/3" in first.getMessage()
