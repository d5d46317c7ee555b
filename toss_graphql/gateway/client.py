"""`PaymentGateway` over the Toss Payments core API v1 (version 2022-11-16)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from .. import process_metrics, telemetry
from ..domain.ports.gateway import (
    Checkout,
    GatewayReplyInvalid,
    GatewayTechnicalError,
    RefundAccount,
    TossPayment,
)
from .config import TossGatewayConfig, basic_authorization, create_http_client
from .idempotency import (
    confirm_idempotency_key,
    require_valid_idempotency_key,
)
from .payment_json import parse_payment
from .replies import RetryableFailure, classify_reply

__all__ = ["TossGateway", "TossGatewayConfig", "create_http_client"]

# The calls' paths with their variable segment named: the spans' `url.template`.
CONFIRM = "/v1/payments/confirm"
CANCEL = "/v1/payments/{paymentKey}/cancel"
PAYMENT = "/v1/payments/{paymentKey}"
PAYMENT_BY_ORDER = "/v1/payments/orders/{orderId}"

logger = logging.getLogger("toss_graphql.gateway")


class TossGateway:
    """Calls Toss with bounded retries and turns every reply into a `TossPayment` or an error.

    Failures follow the port's split: `GatewayRejected` when Toss said no, and
    `GatewayTechnicalError` when no usable answer came back after `config.max_attempts`
    attempts (see `replies` for the table). The HTTP client is shared and owned by the caller.
    """

    def __init__(self, http_client: httpx.AsyncClient, config: TossGatewayConfig) -> None:
        self._http = http_client
        self._config = config
        self._host = httpx.URL(config.base_url).host
        keys = {
            Checkout.PAYMENT_WINDOW: config.secret_key,
            Checkout.WIDGET: config.widget_secret_key,
        }
        self._authorizations = {
            checkout: basic_authorization(key) for checkout, key in keys.items() if key
        }

    def _authorization(self, checkout: Checkout) -> dict[str, str]:
        """The header of the secret key of `checkout`'s set: Toss takes a payment's calls with
        that key only (toss-api.md §1). A set with no key configured is a setting to fix, not
        Toss's answer: the call is not made and its outcome stays open."""
        authorization = self._authorizations.get(checkout)
        if authorization is None:
            raise GatewayTechnicalError(f"no secret key is configured for {checkout} checkouts")
        return {"Authorization": authorization}

    # `checkout` defaults to the payment window's key set for callers outside the domain
    # (tests, scripts); the domain's port demands it.
    async def confirm(
        self,
        *,
        payment_key: str,
        order_id: str,
        amount: int,
        checkout: Checkout = Checkout.PAYMENT_WINDOW,
    ) -> TossPayment:
        """Approve an authenticated checkout (`POST /v1/payments/confirm`).

        Every attempt carries the same derived Idempotency-Key, so a retry after a timeout
        gets the first approval back instead of a second one (toss-api.md §5, §6).
        """
        body = await self._call(
            "POST",
            CONFIRM,
            CONFIRM,
            json={"paymentKey": payment_key, "orderId": order_id, "amount": amount},
            headers={
                **self._authorization(checkout),
                "Idempotency-Key": confirm_idempotency_key(order_id, payment_key, amount),
            },
        )
        payment = parse_payment(body)
        # Whether the status is acceptable is the domain's call; a reply about another order
        # or another amount is not an answer to this request at all.
        _require_match("paymentKey", payment.payment_key, payment_key)
        _require_match("orderId", payment.order_id, order_id)
        _require_match("totalAmount", payment.total_amount, amount)
        return payment

    async def cancel(
        self,
        *,
        payment_key: str,
        cancel_reason: str,
        cancel_amount: int | None,
        refundable_amount: int | None,
        idempotency_key: str,
        checkout: Checkout = Checkout.PAYMENT_WINDOW,
        refund_account: RefundAccount | None = None,
    ) -> TossPayment:
        """Cancel all (`cancel_amount=None`) or part of a payment
        (`POST /v1/payments/{paymentKey}/cancel`).

        Every attempt carries the caller's `idempotency_key`, so Toss applies the cancel at
        most once and answers a retry with the first response (toss-api.md §5). Retries wait
        at least `config.cancel_retry_spacing_seconds` (see `TossGatewayConfig`).
        Raises `ValueError`, before any request, for a key Toss would refuse.
        """
        require_valid_idempotency_key(idempotency_key)
        path = f"/v1/payments/{_path_segment(payment_key)}/cancel"
        body: dict[str, Any] = {"cancelReason": cancel_reason}
        # An absent cancelAmount means the whole remaining balance (toss-api.md §2.4).
        if cancel_amount is not None:
            body["cancelAmount"] = cancel_amount
        if refundable_amount is not None:
            body["refundableAmount"] = refundable_amount
        if refund_account is not None:
            # Only in the body, which is never logged or traced (see `_attempt_span`).
            body["refundReceiveAccount"] = {
                "bank": refund_account.bank,
                "accountNumber": refund_account.account_number,
                "holderName": refund_account.holder_name,
            }
        payment = parse_payment(
            await self._call(
                "POST",
                CANCEL,
                path,
                json=body,
                headers={**self._authorization(checkout), "Idempotency-Key": idempotency_key},
                min_wait=self._config.cancel_retry_spacing_seconds,
            )
        )
        _require_match("paymentKey", payment.payment_key, payment_key)
        # A cancel that took effect appends its entry to `cancels` (toss-api.md §2.4); a 2xx
        # without one does not show the cancel happened.
        if not payment.cancels:
            raise GatewayReplyInvalid("reply `cancels` is empty after a successful cancel")
        return payment

    async def get_payment(
        self, payment_key: str, *, checkout: Checkout = Checkout.PAYMENT_WINDOW
    ) -> TossPayment:
        """Read a payment by its key (`GET /v1/payments/{paymentKey}`)."""
        path = f"/v1/payments/{_path_segment(payment_key)}"
        payment = parse_payment(
            await self._call("GET", PAYMENT, path, headers=self._authorization(checkout))
        )
        _require_match("paymentKey", payment.payment_key, payment_key)
        return payment

    async def get_payment_by_order_id(
        self, order_id: str, *, checkout: Checkout = Checkout.PAYMENT_WINDOW
    ) -> TossPayment:
        """Read a payment by the merchant's order id (`GET /v1/payments/orders/{orderId}`)."""
        path = f"/v1/payments/orders/{_path_segment(order_id)}"
        payment = parse_payment(
            await self._call("GET", PAYMENT_BY_ORDER, path, headers=self._authorization(checkout))
        )
        _require_match("orderId", payment.order_id, order_id)
        return payment

    async def _call(
        self,
        method: str,
        template: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        min_wait: float = 0,
    ) -> Mapping[str, Any]:
        """Send until a usable answer, a rejection, or `max_attempts` technical failures.

        Retries back off exponentially, waiting at least `min_wait` seconds. `template` is
        `path` with its variable segments named, as the attempts' spans show it.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._config.max_attempts),
            wait=wait_exponential(multiplier=self._config.backoff_seconds, min=min_wait),
            retry=retry_if_exception_type(RetryableFailure),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    number = attempt.retry_state.attempt_number
                    return await self._exchange(
                        method, template, path, number, json=json, headers=headers
                    )
        except RetryableFailure as failure:
            raise GatewayTechnicalError(
                f"{method} {path}: no usable answer after {self._config.max_attempts}"
                f" attempt(s); last: {failure}"
            ) from failure
        raise AssertionError("tenacity ends a retry loop by returning or raising")

    def _attempt_span(
        self, method: str, template: str, attempt: int, headers: Mapping[str, str] | None
    ) -> AbstractContextManager[telemetry.Span | None]:
        """The attempt's span: method, path template, attempt, the Idempotency-Key's digest.
        Never a header or a body: the headers carry the secret key, the bodies card data."""
        if not telemetry.enabled():
            return telemetry.NO_SPAN
        attributes: dict[str, str | int] = {
            "http.request.method": method,
            "url.template": template,
            "server.address": self._host,
            "toss.attempt": attempt,
        }
        if headers and "Idempotency-Key" in headers:
            attributes["toss.idempotency_key.sha256"] = telemetry.key_digest(
                headers["Idempotency-Key"]
            )
        return telemetry.span(f"toss {method} {template}", telemetry.SpanKind.CLIENT, attributes)

    async def _exchange(
        self,
        method: str,
        template: str,
        path: str,
        attempt: int,
        *,
        json: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> Mapping[str, Any]:
        """One request and its classified reply, logged as one line, counted by outcome, and
        told to the attempt's span."""
        with self._attempt_span(method, template, attempt, headers) as span:
            started = time.perf_counter()
            try:
                response = await self._http.request(method, path, json=json, headers=headers)
            except httpx.RequestError as exc:
                # Connect errors, timeouts, resets, protocol and decoding errors: Toss may or
                # may not have received the request. Only the class is kept; the cause stays
                # chained.
                failure_name = type(exc).__name__
                process_metrics.toss_answer(method, template, None)
                if span is not None:
                    span.set_attribute("error.type", failure_name)
                self._log(logging.WARNING, method, path, attempt, started, status=failure_name)
                raise RetryableFailure(failure_name) from exc

            reply = classify_reply(response, is_retry=attempt > 1)
            process_metrics.toss_answer(method, template, reply.http_status)
            if span is not None:
                span.set_attribute("http.response.status_code", reply.http_status)
                if reply.toss_code:
                    span.set_attribute("toss.code", reply.toss_code)
            level = logging.WARNING if isinstance(reply.outcome, Exception) else logging.INFO
            self._log(
                level,
                method,
                path,
                attempt,
                started,
                status=reply.http_status,
                code=reply.toss_code,
            )
            if isinstance(reply.outcome, Exception):
                raise reply.outcome
            return reply.outcome

    def _log(
        self,
        level: int,
        method: str,
        path: str,
        attempt: int,
        started: float,
        *,
        status: int | str,
        code: str | None = None,
    ) -> None:
        # Method, path and outcome only: headers carry the secret key and bodies carry card data.
        logger.log(
            level,
            "toss %s %s status=%s attempt=%d/%d elapsed_ms=%d code=%s",
            method,
            path,
            status,
            attempt,
            self._config.max_attempts,
            round((time.perf_counter() - started) * 1000),
            code or "-",
        )


def _path_segment(value: str) -> str:
    """`value` as one URL path segment: `/`, `?`, `#`, `%` and spaces are percent-encoded.

    A segment of only dots is encoded as well, since `.` and `..` would otherwise be removed
    as dot-segments and the request would reach another endpoint.
    """
    if not value:
        raise ValueError("a path segment must not be empty")
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if set(quoted) == {"."} else quoted


def _require_match(field: str, replied: object, requested: object) -> None:
    if replied != requested:
        raise GatewayReplyInvalid(
            f"reply `{field}` is {replied!r}, the request asked for {requested!r}"
        )
