"""Admin endpoints for what the bank does to a virtual account: a deposit, a deposit taken
back, and the refunds of its cancels (the list, and a switch that makes the bank refuse
them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from toss_sandbox.admin.plumbing import (
    AdminError,
    Handler,
    invalid,
    json_body,
    json_response,
    timestamp,
)
from toss_sandbox.clock import SandboxClock
from toss_sandbox.config import SandboxConfig
from toss_sandbox.i18n import language_of
from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.lifecycle.payment_json import render_payment
from toss_sandbox.lifecycle.refunds import (
    NoPendingRefund,
    completes_at,
    fail_pending_refunds,
    refund_state,
)
from toss_sandbox.lifecycle.virtual_accounts import DepositRefused, deposit, reverse_deposit
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.payment_store import Cancel, Payment, load_by_key
from toss_sandbox.urls import base_url
from toss_sandbox.vocabulary.errors import TossApiError


def _payment_not_found() -> AdminError:
    return AdminError(404, "NOT_FOUND_PAYMENT", "no payment has that paymentKey")


async def _deposit_amount(request: Request) -> int | None:
    """The body's `amount`; None for an empty body, `{}` or `{"amount": null}`."""
    if not await request.body():
        return None
    body = await json_body(request)
    if not isinstance(body, dict) or set(body) - {"amount"}:
        raise invalid('the body must be empty or {"amount": n}')
    amount = body.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise invalid("amount must be a whole number")
    if amount is not None and amount < 1:
        raise invalid("amount must be at least 1")
    return amount


def _refund(payment: Payment, cancel: Cancel, now: datetime) -> dict[str, Any]:
    refund = cancel.refund
    assert refund is not None
    return {
        "transactionKey": cancel.transaction_key,
        "cancelAmount": cancel.cancel_amount,
        "bank": refund.account.bank_code,
        "accountNumber": refund.account.account_number,
        "holderName": refund.account.holder_name,
        "requestedAt": timestamp(cancel.canceled_at),
        "completesAt": timestamp(completes_at(cancel)),
        "status": refund_state(payment, cancel, now).value,
    }


class VirtualAccountAdmin:
    def __init__(
        self, config: SandboxConfig, database: Database, clock: SandboxClock, outbox: Outbox
    ) -> None:
        self._config = config
        self._database = database
        self._clock = clock
        self._outbox = outbox

    def endpoints(self) -> list[tuple[str, Handler, list[str]]]:
        prefix = "/admin/virtual-accounts/{paymentKey}"
        return [
            (f"{prefix}/deposit", self.deposit, ["POST"]),
            (f"{prefix}/deposit-error", self.deposit_error, ["POST"]),
            (f"{prefix}/refunds", self.refunds, ["GET"]),
            (f"{prefix}/refund-failure", self.fail_refunds, ["POST"]),
        ]

    def _payment_response(self, payment: Payment, request: Request, now: datetime) -> Response:
        return json_response(
            render_payment(
                payment,
                language=language_of(request.headers.get("accept-language")),
                base_url=base_url(request, self._config.public_base_url),
                now=now,
            )
        )

    async def deposit(self, request: Request) -> Response:
        """Money paid in: the account's amount, or the body's `amount`."""
        amount = await _deposit_amount(request)
        now = await self._clock.now()
        try:
            payment = await deposit(
                self._database, request.path_params["paymentKey"], now, self._outbox, amount
            )
        except TossApiError:
            raise _payment_not_found() from None
        except DepositRefused as refused:
            raise AdminError(409, refused.code, refused.message) from None
        return self._payment_response(payment, request, now)

    async def deposit_error(self, request: Request) -> Response:
        """The deposit of a DONE account fails after all: WAITING_FOR_DEPOSIT again."""
        now = await self._clock.now()
        try:
            payment = await reverse_deposit(
                self._database, request.path_params["paymentKey"], now, self._outbox
            )
        except TossApiError:
            raise _payment_not_found() from None
        except DepositRefused as refused:
            raise AdminError(409, refused.code, refused.message) from None
        return self._payment_response(payment, request, now)

    async def refunds(self, request: Request) -> Response:
        """The refunds of the payment's cancels, with the accounts they go to."""
        async with self._database.read() as connection:
            now = await self._clock.now_in(connection)
            payment = await load_by_key(connection, request.path_params["paymentKey"])
        if payment is None:
            raise _payment_not_found()
        refunds = [_refund(payment, cancel, now) for cancel in payment.cancels if cancel.refund]
        return json_response({"refunds": refunds})

    async def fail_refunds(self, request: Request) -> Response:
        """The bank refuses every refund of the payment not yet sent."""
        now = await self._clock.now()
        try:
            payment = await fail_pending_refunds(
                self._database, request.path_params["paymentKey"], now
            )
        except TossApiError:
            raise _payment_not_found() from None
        except NoPendingRefund:
            raise AdminError(
                409, "NO_PENDING_REFUND", "the payment has no refund waiting to be sent"
            ) from None
        return self._payment_response(payment, request, now)
