"""GraphQL object types, enums and payloads (docs/architecture.md §4.1)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Self

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from ..domain import models
from ..domain.errors import DomainError, ErrorCode
from ..domain.ports.gateway import Checkout, RefundAccount
from ..domain.ports.storage import CancelCursor, OrderCursor
from .context import Context
from .payment_methods import EasyPay, MobilePhone, PaymentCard, Transfer, VirtualAccount

# The domain's enums, exposed under the contract's names.
strawberry.enum(models.OrderStatus, name="OrderStatus")
strawberry.enum(ErrorCode, name="PaymentErrorCode", description="Why an operation was refused.")
strawberry.enum(
    Checkout,
    name="Checkout",
    description="Which of Toss's checkouts an order is paid through: the payment widget "
    "(`widgets()`, widget client key `…_gck_…`) or the payment window (`payment()`, API "
    "client key `…_ck_…`). Toss confirms a payment with the secret key of its checkout only.",
)
OrderStatus = models.OrderStatus
PaymentErrorCode = ErrorCode


@strawberry.type(description="An expected failure: the operation was refused, nothing broke.")
class PaymentError:
    code: PaymentErrorCode
    message: str
    field: str | None = strawberry.field(
        default=None, description="The argument at fault, as a path such as `lines.0.sku`."
    )
    gateway_code: str | None = strawberry.field(
        default=None, description="Toss's own error code, when Toss refused."
    )

    @classmethod
    def from_domain(cls, error: DomainError) -> Self:
        return cls(
            code=error.code,
            message=error.message,
            field=error.field,
            gateway_code=error.gateway_code,
        )


@strawberry.type(description="Why the last checkout of an order failed.")
class PaymentFailure:
    code: str
    message: str


@strawberry.type(
    description="A payment approved by Toss (or a virtual account awaiting its deposit), "
    "not fully canceled."
)
class Payment:
    payment_key: str
    method: str | None
    total_amount: int
    balance_amount: int = strawberry.field(description="What can still be canceled, in KRW.")
    approved_at: datetime | None
    receipt_url: str | None
    virtual_account: VirtualAccount | None = strawberry.field(
        description="Set for a virtual-account payment."
    )
    card: PaymentCard | None = strawberry.field(
        description="Set when Toss reports a card: a card payment, or an easy payment made "
        "with a card."
    )
    easy_pay: EasyPay | None = strawberry.field(description="Set for an easy payment.")
    transfer: Transfer | None = strawberry.field(description="Set for a bank-transfer payment.")
    mobile_phone: MobilePhone | None = strawberry.field(
        description="Set for a mobile-phone payment."
    )

    @classmethod
    def from_domain(cls, payment: models.Payment) -> Self:
        account, card, easy_pay = payment.virtual_account, payment.card, payment.easy_pay
        transfer, mobile_phone = payment.transfer, payment.mobile_phone
        return cls(
            payment_key=payment.payment_key,
            method=payment.method,
            total_amount=payment.total_amount,
            balance_amount=payment.balance_amount,
            approved_at=payment.approved_at,
            receipt_url=payment.receipt_url,
            virtual_account=VirtualAccount.from_domain(account) if account else None,
            card=PaymentCard.from_domain(card) if card else None,
            easy_pay=EasyPay.from_domain(easy_pay) if easy_pay else None,
            transfer=Transfer.from_domain(transfer) if transfer else None,
            mobile_phone=MobilePhone.from_domain(mobile_phone) if mobile_phone else None,
        )


@strawberry.type(description="One cancel transaction at Toss: it outlives the payment.")
class Cancel:
    transaction_key: str
    order_id: strawberry.ID
    payment_key: str
    buyer: str
    order_name: str
    cancel_amount: int
    cancel_reason: str
    canceled_at: datetime

    @classmethod
    def from_domain(cls, cancel: models.Cancel) -> Self:
        return cls(
            transaction_key=cancel.transaction_key,
            order_id=strawberry.ID(cancel.order_id),
            payment_key=cancel.payment_key,
            buyer=cancel.buyer,
            order_name=cancel.order_name,
            cancel_amount=cancel.cancel_amount,
            cancel_reason=cancel.cancel_reason,
            canceled_at=cancel.canceled_at,
        )


async def _cancels_of_order(root: Order, info: Info[Context, None]) -> list[Cancel]:
    found = await info.context.loaders.cancels_by_order_id.load(str(root.order_id))
    return [Cancel.from_domain(cancel) for cancel in found]


async def _payment_of_order(root: Order, info: Info[Context, None]) -> Payment | None:
    payment = await info.context.loaders.payment_by_order_id.load(str(root.order_id))
    return Payment.from_domain(payment) if payment else None


@strawberry.type(description="A buyer's order; its amount is set by the server, in KRW.")
class Order:
    order_id: strawberry.ID
    buyer: str
    order_name: str
    amount: int
    status: OrderStatus
    failure: PaymentFailure | None
    attention: str | None = strawberry.field(
        description="Why reconciliation handed this order to an operator; null normally."
    )
    checkout: Checkout = strawberry.field(
        description="The checkout to pay it through, with that checkout's client key."
    )
    created_at: datetime
    updated_at: datetime

    payment: Payment | None = strawberry.field(
        resolver=_payment_of_order,
        description="The payment in force; null before approval and after a full cancel.",
    )
    cancels: list[Cancel] = strawberry.field(
        resolver=_cancels_of_order, description="Every cancel of this order, oldest first."
    )

    @classmethod
    def from_domain(cls, order: models.Order) -> Self:
        failure = order.failure
        return cls(
            order_id=strawberry.ID(order.order_id),
            buyer=order.buyer,
            order_name=order.order_name,
            amount=order.amount,
            status=order.status,
            failure=PaymentFailure(code=failure.code, message=failure.message) if failure else None,
            attention=order.attention,
            checkout=order.checkout,
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class OrderEdge:
    node: Order

    @strawberry.field
    def cursor(self) -> str:
        # Written when asked for: most pages are read for their nodes and the end cursor.
        return _encode(self.node.created_at, str(self.node.order_id))


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo


@strawberry.type
class CancelEdge:
    node: Cancel

    @strawberry.field
    def cursor(self) -> str:
        return _encode(self.node.canceled_at, self.node.transaction_key)


@strawberry.type
class CancelConnection:
    edges: list[CancelEdge]
    page_info: PageInfo


def _encode(moment: datetime, key: str) -> str:
    payload = json.dumps([moment.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    """A cursor is the client's text: only one shaped exactly as `_encode` writes them (an
    aware timestamp, a printable key) reaches a query."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, key = json.loads(base64.urlsafe_b64decode(padded))
        decoded = datetime.fromisoformat(moment)
        if decoded.tzinfo is not None and isinstance(key, str) and key.isprintable() and key:
            return decoded, key
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        pass
    raise GraphQLError(
        "after is not a cursor this API issued",
        extensions={"code": "INVALID_INPUT", "field": "after"},
    )


def encode_cursor(order: models.Order) -> str:
    return _encode(order.created_at, order.order_id)


def decode_cursor(cursor: str) -> OrderCursor:
    return OrderCursor(*_decode(cursor))


def encode_cancel_cursor(cancel: models.Cancel) -> str:
    return _encode(cancel.canceled_at, cancel.transaction_key)


def decode_cancel_cursor(cursor: str) -> CancelCursor:
    return CancelCursor(*_decode(cursor))


@strawberry.type
class CreateOrderPayload:
    order: Order | None
    errors: list[PaymentError]


@strawberry.type
class ConfirmPaymentPayload:
    order: Order | None
    payment: Payment | None
    errors: list[PaymentError]


@strawberry.type
class FailPaymentPayload:
    order: Order | None
    errors: list[PaymentError]


@strawberry.type
class CancelPaymentPayload:
    order: Order | None
    cancel: Cancel | None = strawberry.field(description="The cancel this call made.")
    errors: list[PaymentError]


@strawberry.input(
    description="The bank account a deposited virtual account is refunded to (Toss's "
    "`refundReceiveAccount`): required to cancel one, ignored for any other payment. It is "
    "sent to Toss and kept masked only."
)
class RefundReceiveAccountInput:
    bank: str = strawberry.field(
        description="Toss's two-digit bank code, e.g. `88` (신한), `20` (우리), `06` (KB국민)."
    )
    account_number: str = strawberry.field(description="Up to 20 digits; dashes are dropped.")
    holder_name: str = strawberry.field(description="The account holder, up to 60 characters.")

    def to_domain(self) -> RefundAccount:
        return RefundAccount(
            bank=self.bank, account_number=self.account_number, holder_name=self.holder_name
        )


@strawberry.input(description="A catalog line; the server prices it.")
class OrderLineInput:
    sku: str
    quantity: int = 1


@strawberry.input(
    description="Buyers give `lines`. Admin and service tokens may instead give `orderName` "
    "with `amount`, and `buyer` to order for someone else."
)
class CreateOrderInput:
    lines: list[OrderLineInput] | None = None
    order_name: str | None = None
    amount: int | None = None
    buyer: str | None = None
    checkout: Checkout | None = strawberry.field(
        default=None,
        description="The checkout the buyer will pay through. Default: the payment window "
        "where the service holds its secret key, else the widget. One the service holds no "
        "secret key for is INVALID_INPUT.",
    )
