"""Toss's browser SDK, the payment window's and the payment widget's, served by the sandbox
(docs/sandbox.md, "The browser SDK").

A merchant's page loads `https://js.tosspayments.com/v2/standard` (or `/v1/payment`, `/v1`)
and calls the global `TossPayments`, or `/v1/payment-widget` and calls `PaymentWidget`. The
sandbox serves a script at the same paths with the same globals and the same calls, so a
front end works against the sandbox by changing only the script's host. The script checks
the arguments as Toss's SDK does, with Toss's error codes and messages, and opens the
sandbox's hosted checkout, which redirects to successUrl or failUrl as Toss's window does.

The script is two files of static/, the window's (sdk.js) and the widget's (widget.js), put
in one function scope here with their settings and the global the path exports. The rules
the checkout applies (client key, orderId, orderName, amount, URLs) and the methods it
offers are handed to the script from form.py and vocabulary/methods.py, so the two cannot
drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from toss_sandbox.checkout import form
from toss_sandbox.config import SandboxConfig
from toss_sandbox.i18n import Language
from toss_sandbox.urls import base_url
from toss_sandbox.vocabulary.errors import ERRORS
from toss_sandbox.vocabulary.methods import CHOICES, METHOD_NAMES, PROVIDER_NAMES

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
    "INSECURE_KEY_USAGE": "test_gsk, live_gsk로 시작하는 시크릿 키는 클라이언트 코드에 노출되면 "
    "안 됩니다. 구매자를 식별하는 customerKey 값을 사용해주세요.",
}
# The payment widget's, from Toss's table of payment-widget SDK errors (same sources). Toss
# gives INVALID_PARAMETER two messages: a bad callback, and an event a widget does not have.
WIDGET_ERRORS: Final = {
    "NOT_SUPPORTED_API_INDIVIDUAL_KEY": "결제위젯 연동 키의 클라이언트 키로 SDK를 연동해주세요. "
    "API 개별 연동 키는 지원하지 않습니다.",
    "NOT_SETUP_AMOUNT": "결제금액이 설정되지 않았습니다. setAmount를 호출해주세요.",
    "NOT_SELECTED_PAYMENT_METHOD": "결제수단이 아직 선택되지 않았어요. 결제수단을 선택해 주세요.",
    "NEED_AGREEMENT_WITH_REQUIRED_TERMS": "필수 약관에 동의해주세요.",
    "PAYMENT_METHODS_WIDGET_ALREADY_RENDERED": "하나의 결제수단 위젯만을 사용할 수 있어요.",
    "AGREEMENT_WIDGET_ALREADY_RENDERED": "하나의 약관 위젯만을 사용할 수 있어요.",
    "INVALID_SELECTOR": "selector에 해당하는 HTML 요소를 찾을 수 없습니다. selector 값을 다시 "
    "확인해주세요.",
    "INVALID_VARIANT_KEY": "variantKey 에 해당하는 위젯을 찾을 수 없습니다. variantKey 값을 다시 "
    "확인해주세요.",
    "INVALID_PARAMETER": "콜백 함수가 올바르지 않습니다.",
    "INVALID_PARAMETER:event": "허용하지 않는 이벤트입니다.",
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


@dataclass(frozen=True, slots=True)
class Script:
    """One of Toss's scripts: the SDK version it loads and the global it defines."""

    version: int
    exported: str


# The paths of Toss's scripts (docs/sandbox.md, "The browser SDK").
SCRIPT_PATHS: Final = {
    "/v2/standard": Script(2, "TossPayments"),
    "/v1/payment": Script(1, "TossPayments"),
    "/v1": Script(1, "TossPayments"),
    "/v1/payment-widget": Script(1, "PaymentWidget"),
}


@cache
def _source() -> str:
    static = files("toss_sandbox.checkout").joinpath("static")
    parts = (static.joinpath(name).read_text(encoding="utf-8") for name in ("sdk.js", "widget.js"))
    return "\n".join(parts)


def _widget_methods() -> list[dict[str, str | None]]:
    return [
        {
            "code": choice.code,
            "label": choice.label,
            "method": METHOD_NAMES[choice.method],
            "provider": None if choice.provider is None else PROVIDER_NAMES[choice.provider],
        }
        for choice in CHOICES
    ]


def _settings(config: SandboxConfig, checkout_url: str, version: int) -> dict[str, object]:
    messages = {code: ERRORS[code].message(Language.KO) for code in _CHECKOUT_CODES}
    return {
        "version": version,
        "widgetMethods": _widget_methods(),
        "checkoutUrl": checkout_url,
        # None: any test client key, as the checkout accepts (toss_sandbox/config.py).
        "clientKey": config.client_key,
        "clientKeyPrefixes": list(form.TEST_CLIENT_KEY_PREFIXES),
        "orderIdPattern": form.ORDER_ID_PATTERN,
        "maxOrderNameLength": form.MAX_ORDER_NAME_LENGTH,
        "minimumAmount": form.MINIMUM_CARD_AMOUNT,
        "maxUrlLength": form.MAX_URL_LENGTH,
        "errors": {**messages, **SDK_ERRORS, **WIDGET_ERRORS},
    }


class SdkScripts:
    def __init__(self, config: SandboxConfig) -> None:
        self._config = config

    def routes(self) -> list[Route]:
        return [
            Route(path, self._endpoint(script), methods=["GET"])
            for path, script in SCRIPT_PATHS.items()
        ]

    def _endpoint(self, script: Script) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return self._script(request, script)

        return endpoint

    def _script(self, request: Request, script: Script) -> Response:
        checkout_url = base_url(request, self._config.public_base_url) + "/checkout"
        settings = _settings(self._config, checkout_url, script.version)
        body = "\n".join(
            (
                "(function () {",
                '  "use strict";',
                f"  var SETTINGS = {json.dumps(settings, ensure_ascii=False)};",
                _source(),
                f"  window.{script.exported} = {script.exported};",
                "})();",
            )
        )
        return Response(
            body,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )
