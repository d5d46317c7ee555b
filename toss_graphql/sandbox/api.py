"""Toss's core payment API as the sandbox serves it: confirm and the two lookups."""

from __future__ import annotations

import json
import math
from typing import Any, Final

from starlette.requests import Request
from starlette.routing import Route

from toss_graphql.sandbox.config import SandboxConfig
from toss_graphql.sandbox.database import Database
from toss_graphql.sandbox.errors import TossApiError
from toss_graphql.sandbox.i18n import Language
from toss_graphql.sandbox.payment_json import render_payment
from toss_graphql.sandbox.payments import (
    ConfirmRequest,
    Payment,
    confirm_payment,
    find_payment,
    find_payment_by_order_id,
)
from toss_graphql.sandbox.urls import base_url
from toss_graphql.sandbox.v1_pipeline import V1Pipeline

_ALL_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_MAX_PAYMENT_KEY_LENGTH: Final = 200


def _invalid(field: str, rule_ko: str, rule_en: str) -> TossApiError:
    return TossApiError(
        "INVALID_REQUEST",
        (f"잘못된 요청입니다. {field}: {rule_ko}", f"The request is invalid. {field}: {rule_en}"),
    )


def _whole_number(value: object) -> int | None:
    # Toss types amounts as JSON numbers, and its JSON parser also takes a numeric string:
    # Toss's own Django sample forwards `amount` as the string read from the success URL.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _amount_of(value: object) -> int:
    amount = _whole_number(value)
    if amount is None:
        raise _invalid("amount", "정수여야 합니다.", "must be a whole number.")
    if amount < 1:
        raise _invalid("amount", "1 이상이어야 합니다.", "must be at least 1.")
    return amount


def parse_confirm_request(raw: bytes) -> ConfirmRequest:
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _invalid("body", "JSON 형식이 아닙니다.", "not valid JSON.") from None
    if not isinstance(body, dict):
        raise _invalid("body", "JSON 객체여야 합니다.", "must be a JSON object.")
    payment_key = body.get("paymentKey")
    if not isinstance(payment_key, str) or not 1 <= len(payment_key) <= _MAX_PAYMENT_KEY_LENGTH:
        raise _invalid(
            "paymentKey",
            "200자 이하의 문자열이어야 합니다.",
            "must be a string of at most 200 characters.",
        )
    order_id = body.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise _invalid("orderId", "필수 문자열입니다.", "is a required string.")
    if "amount" not in body:
        raise _invalid("amount", "필수 값입니다.", "is required.")
    return ConfirmRequest(
        payment_key=payment_key, order_id=order_id, amount=_amount_of(body["amount"])
    )


class PaymentsApi:
    def __init__(self, config: SandboxConfig, database: Database) -> None:
        self._config = config
        self._database = database

    def routes(self) -> list[Route]:
        pipeline = V1Pipeline(self._config, self._database)
        return [
            Route("/v1/payments/confirm", pipeline.endpoint(self.confirm), methods=["POST"]),
            Route(
                "/v1/payments/orders/{orderId}",
                pipeline.endpoint(self.get_by_order_id),
                methods=["GET"],
            ),
            Route("/v1/payments/{paymentKey}", pipeline.endpoint(self.get_by_key), methods=["GET"]),
            # Anything else under /v1 still answers in Toss's JSON shape (and is logged).
            Route(
                "/v1/{rest:path}",
                pipeline.endpoint(self.not_found, authenticated=False),
                methods=_ALL_METHODS,
            ),
        ]

    def _render(self, payment: Payment, request: Request, language: Language) -> dict[str, Any]:
        return render_payment(
            payment, language=language, base_url=base_url(request, self._config.public_base_url)
        )

    async def confirm(self, request: Request, language: Language) -> dict[str, Any]:
        confirm_request = parse_confirm_request(await request.body())
        payment = await confirm_payment(self._database, confirm_request, self._config.now())
        return self._render(payment, request, language)

    async def get_by_key(self, request: Request, language: Language) -> dict[str, Any]:
        payment_key: str = request.path_params["paymentKey"]
        payment = await find_payment(self._database, payment_key, self._config.now())
        if payment is None:
            raise TossApiError("NOT_FOUND_PAYMENT")
        return self._render(payment, request, language)

    async def get_by_order_id(self, request: Request, language: Language) -> dict[str, Any]:
        order_id: str = request.path_params["orderId"]
        payment = await find_payment_by_order_id(self._database, order_id, self._config.now())
        if payment is None:
            raise TossApiError("NOT_FOUND_PAYMENT")
        return self._render(payment, request, language)

    async def not_found(self, request: Request, language: Language) -> dict[str, Any]:
        raise TossApiError("NOT_FOUND")
