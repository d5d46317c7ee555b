"""The receipt page a Payment's `receipt.url` points to, shown for approved payments only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from toss_sandbox.checkout.pages import error_page, receipt_page
from toss_sandbox.clock import SandboxClock
from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.lifecycle.payments import find_payment
from toss_sandbox.storage.database import Database
from toss_sandbox.vocabulary.errors import TossApiError


class ReceiptPages:
    def __init__(self, database: Database, clock: SandboxClock, outbox: Outbox) -> None:
        self._database = database
        self._clock = clock
        self._outbox = outbox

    def routes(self) -> list[Route]:
        return [Route("/receipt/{paymentKey}", self.show, methods=["GET"])]

    async def show(self, request: Request) -> Response:
        payment_key: str = request.path_params["paymentKey"]
        payment = await find_payment(
            self._database, payment_key, await self._clock.now(), self._outbox
        )
        if payment is None or payment.approved_at is None:
            return error_page(TossApiError("NOT_FOUND_PAYMENT"), 404)
        return receipt_page(payment)
