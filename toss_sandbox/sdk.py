"""Toss's browser SDK for the payment window, served by the sandbox (docs/sandbox.md, "The
browser SDK").

A merchant's page loads `https://js.tosspayments.com/v2/standard` (or `/v1/payment`, `/v1`)
and calls the global `TossPayments`. The sandbox serves a script at the same paths with the
same global and the same calls for the payment window, so a front end works against the
sandbox by changing only the script's host. The script checks the arguments as Toss's SDK
does, with Toss's error codes and messages, and opens the sandbox's hosted checkout, which
redirects to successUrl or failUrl as Toss's window does.

The rules the checkout applies (client key, orderId, orderName, amount, URLs) are handed to
the script from toss_sandbox/checkout_form.py, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import cache
from importlib.resources import files
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from toss_sandbox import checkout_form
from toss_sandbox.config import SandboxConfig
from toss_sandbox.errors import ERRORS
from toss_sandbox.i18n import Language
from toss_sandbox.urls import base_url

# The SDK's own errors, thrown in the browser before any request: Toss's table of payment-window
# SDK errors (docs/sandbox.md, "The browser SDK", with its sources).
SDK_ERRORS: Final = {
    "INVALID_PARAMETERS": "필수 파라미터를 누락하거나, 정의되지 않은 파라미터를 추가하거나, "
    "파라미터의 타입이 올바르지 않을 때 발생합니다.",
    "INVALID_CUSTOMER_KEY": "고객키는 영문 대소문자, 숫자, 특수문자 -, _, =, ., @로 2자 이상 50자 "
    "이하여야 합니다.",
    "INVALID_AMOUNT_VALUE": "결제금액이 올바르지 않습니다.",
    "INVALID_AMOUNT_CURRENCY": "잘못된 통화 값입니다.",
    "BELOW_ZERO_AMOUNT": "금액은 0보다 커야 합니다.",
    "NOT_SUPPORTED_METHOD": "지원되지 않는 결제수단입니다.",
    "NOT_SUPPORTED_PROMISE": "Promise 방식을 지원하지 않습니다. "
    "successUrl, failUrl을 사용해주세요.",
    "NOT_SUPPORTED_WIDGET_KEY": "API 개별 연동 키의 클라이언트 키로 SDK를 연동해주세요. "
    "결제위젯 연동 키는 지원하지 않습니다.",
    "INVALID_METHOD_TRANSACTION": "이미 다른 요청을 수행하고 있어요.",
}
# The checkout's refusals, with the messages the sandbox's API and window use for them.
_CHECKOUT_CODES: Final = (
    "INVALID_CLIENT_KEY",
    "INVALID_ORDER_ID",
    "INVALID_ORDER_NAME",
    "BELOW_MINIMUM_AMOUNT",
    "INCORRECT_SUCCESS_URL_FORMAT",
    "INCORRECT_FAIL_URL_FORMAT",
)
# The paths of Toss's scripts, by the SDK version they load.
SCRIPT_PATHS: Final = {"/v2/standard": 2, "/v1/payment": 1, "/v1": 1}


@cache
def _source() -> str:
    return files("toss_sandbox").joinpath("static", "sdk.js").read_text(encoding="utf-8")


def _settings(config: SandboxConfig, checkout_url: str, version: int) -> dict[str, object]:
    messages = {code: ERRORS[code].message(Language.KO) for code in _CHECKOUT_CODES}
    return {
        "version": version,
        "checkoutUrl": checkout_url,
        # None: any test client key, as the checkout accepts (toss_sandbox/config.py).
        "clientKey": config.client_key,
        "clientKeyPrefixes": list(checkout_form.TEST_CLIENT_KEY_PREFIXES),
        "orderIdPattern": checkout_form.ORDER_ID_PATTERN,
        "maxOrderNameLength": checkout_form.MAX_ORDER_NAME_LENGTH,
        "minimumAmount": checkout_form.MINIMUM_CARD_AMOUNT,
        "maxUrlLength": checkout_form.MAX_URL_LENGTH,
        "errors": {**messages, **SDK_ERRORS},
    }


class SdkScripts:
    def __init__(self, config: SandboxConfig) -> None:
        self._config = config

    def routes(self) -> list[Route]:
        return [
            Route(path, self._endpoint(version), methods=["GET"])
            for path, version in SCRIPT_PATHS.items()
        ]

    def _endpoint(self, version: int) -> Callable[[Request], Awaitable[Response]]:
        async def script(request: Request) -> Response:
            return self._script(request, version)

        return script

    def _script(self, request: Request, version: int) -> Response:
        checkout_url = base_url(request, self._config.public_base_url) + "/checkout"
        settings = json.dumps(_settings(self._config, checkout_url, version), ensure_ascii=False)
        body = _source().replace("__SANDBOX_SDK_SETTINGS__", settings, 1)
        return Response(
            body,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )
