"""Toss's core payment API as the sandbox serves it: confirm, cancel and the two lookups."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.routing import Route

from toss_sandbox.api.request_bodies import parse_cancel_request, parse_confirm_request
from toss_sandbox.api.v1_pipeline import V1Call, V1Pipeline
from toss_sandbox.config import SandboxConfig
from toss_sandbox.lifecycle.cancels import cancel_in
from toss_sandbox.lifecycle.payment_json import render_payment
from toss_sandbox.lifecycle.payments import confirm_in, find_payment_by_order_id_in, find_payment_in
from toss_sandbox.storage.payment_store import Payment
from toss_sandbox.urls import base_url
from toss_sandbox.vocabulary.errors import TossApiError
from toss_sandbox.vocabulary.integrations import of_secret_key

_ALL_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class PaymentsApi:
    """Each operation runs in the call's write transaction (v1_pipeline.py)."""

    def __init__(self, config: SandboxConfig, pipeline: V1Pipeline) -> None:
        self._config = config
        self._pipeline = pipeline

    def routes(self) -> list[Route]:
        pipeline = self._pipeline
        return [
            Route("/v1/payments/confirm", pipeline.endpoint(self.confirm), methods=["POST"]),
            Route(
                "/v1/payments/orders/{orderId}",
                pipeline.endpoint(self.get_by_order_id),
                methods=["GET"],
            ),
            Route("/v1/payments/{paymentKey}", pipeline.endpoint(self.get_by_key), methods=["GET"]),
            Route(
                "/v1/payments/{paymentKey}/cancel",
                pipeline.endpoint(self.cancel),
                methods=["POST"],
            ),
            # Anything else under /v1 still answers in Toss's JSON shape (and is logged).
            Route(
                "/v1/{rest:path}",
                pipeline.endpoint(self.not_found, authenticated=False),
                methods=_ALL_METHODS,
            ),
        ]

    def _render(self, payment: Payment, request: Request, call: V1Call) -> dict[str, Any]:
        return render_payment(
            payment,
            language=call.language,
            base_url=base_url(request, self._config.public_base_url),
            now=call.now,
        )

    async def confirm(self, request: Request, call: V1Call) -> dict[str, Any]:
        confirm_request = parse_confirm_request(await request.body())
        assert call.secret_key is not None  # the endpoint authenticates
        payment = await confirm_in(
            call.connection,
            confirm_request,
            call.now,
            call.outbox,
            of_secret_key(call.secret_key),
        )
        return self._render(payment, request, call)

    async def cancel(self, request: Request, call: V1Call) -> dict[str, Any]:
        cancel_request = parse_cancel_request(await request.body())
        payment_key: str = request.path_params["paymentKey"]
        payment = await cancel_in(
            call.connection, payment_key, cancel_request, call.now, call.outbox
        )
        return self._render(payment, request, call)

    async def get_by_key(self, request: Request, call: V1Call) -> dict[str, Any]:
        payment_key: str = request.path_params["paymentKey"]
        payment = await find_payment_in(call.connection, payment_key, call.now, call.outbox)
        if payment is None:
            raise TossApiError("NOT_FOUND_PAYMENT")
        return self._render(payment, request, call)

    async def get_by_order_id(self, request: Request, call: V1Call) -> dict[str, Any]:
        order_id: str = request.path_params["orderId"]
        payment = await find_payment_by_order_id_in(
            call.connection, order_id, call.now, call.outbox
        )
        if payment is None:
            raise TossApiError("NOT_FOUND_PAYMENT")
        return self._render(payment, request, call)

    async def not_found(self, request: Request, call: V1Call) -> dict[str, Any]:
        raise TossApiError("NOT_FOUND")
