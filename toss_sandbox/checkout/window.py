"""The hosted payment window: a page where a person approves or fails a payment.

`GET /checkout` opens the window: it records the payment as READY (Toss creates it at
`requestPayment`) and shows the order, with a choice of the methods of vocabulary/methods.py
(the one the merchant's page or widget picked already chosen). Its form
posts to `POST /checkout`, which answers what a browser gets from Toss: `303` to successUrl
with paymentKey, orderId, amount and paymentType, or to failUrl with code, message and
orderId (toss-api.md §7). A failure decision changes nothing, as closing Toss's window
changes nothing on Toss's side; a window left for 30 minutes has expired.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from toss_sandbox.checkout.form import (
    APPROVE,
    CheckoutOrder,
    parse_authentication,
    parse_decision,
    parse_order,
    session_key,
    window_defaults,
)
from toss_sandbox.checkout.pages import checkout_page, error_page
from toss_sandbox.checkout.sessions import authenticate_session, open_checkout, open_session
from toss_sandbox.clock import SandboxClock
from toss_sandbox.config import SandboxConfig
from toss_sandbox.i18n import Language
from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.storage.database import Database
from toss_sandbox.urls import base_url, with_query
from toss_sandbox.vocabulary.errors import ERRORS, TossApiError

_FALLBACK_FAIL_MESSAGE: Final = "결제에 실패했습니다. 다시 시도해주세요."


def _fail_redirect(order: CheckoutOrder, code: str) -> RedirectResponse:
    # The window speaks Korean to the buyer, so failUrl gets Toss's Korean message.
    spec = ERRORS.get(code)
    message = spec.message(Language.KO) if spec is not None else _FALLBACK_FAIL_MESSAGE
    location = with_query(
        order.fail_url, [("code", code), ("message", message), ("orderId", order.order_id)]
    )
    return RedirectResponse(location, status_code=303)


class CheckoutPages:
    def __init__(
        self, config: SandboxConfig, database: Database, clock: SandboxClock, outbox: Outbox
    ) -> None:
        self._config = config
        self._database = database
        self._clock = clock
        self._outbox = outbox

    def routes(self) -> list[Route]:
        return [
            Route("/checkout", self.show, methods=["GET"]),
            Route("/checkout", self.submit, methods=["POST"]),
        ]

    async def show(self, request: Request) -> Response:
        try:
            order = parse_order(request.query_params, self._config.client_key)
        except TossApiError as error:
            return error_page(error, 400)
        session = await open_session(
            self._database,
            order,
            await self._clock.now(),
            base_url(request, self._config.public_base_url),
        )
        return checkout_page(
            order,
            "" if session is None else session.payment_key,
            window_defaults(request.query_params),
        )

    async def submit(self, request: Request) -> Response:
        async with request.form() as form:
            fields = dict(form)
        try:
            order = parse_order(fields, self._config.client_key)
            decision = parse_decision(fields)
            authentication = parse_authentication(fields)
        except TossApiError as error:
            return error_page(error, 400)
        if decision != APPROVE:
            return _fail_redirect(order, decision)
        now = await self._clock.now()
        payment_key = session_key(fields)
        try:
            if payment_key is None:
                payment = await open_checkout(
                    self._database,
                    order,
                    authentication,
                    now,
                    base_url(request, self._config.public_base_url),
                )
            else:
                payment = await authenticate_session(
                    self._database, payment_key, order, authentication, now, self._outbox
                )
        except TossApiError as error:
            return _fail_redirect(order, error.code)
        location = with_query(
            order.success_url,
            [
                ("paymentType", "NORMAL"),
                ("orderId", payment.order_id),
                ("paymentKey", payment.payment_key),
                ("amount", str(payment.total_amount)),
            ],
        )
        return RedirectResponse(location, status_code=303)
