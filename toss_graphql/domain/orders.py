"""Creating orders with a server-trusted amount, and reading them back."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from . import validation
from .errors import DomainError, ErrorCode, invalid_input
from .models import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentEventType,
    Principal,
    Product,
)
from .ports.gateway import Checkout
from .ports.storage import OrderCursor, OrderPage
from .services import Services, default_checkout

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class CreateOrderRequest:
    lines: Sequence[LineRequest] | None = None
    order_name: str | None = None
    amount: int | None = None
    buyer: str | None = None
    # None: the service's default (services.default_checkout).
    checkout: Checkout | None = None


def _price_lines(requested: Sequence[LineRequest], catalog: dict[str, Product]) -> list[OrderLine]:
    lines = []
    for index, line in enumerate(requested):
        product = catalog.get(line.sku)
        if product is None or not product.active:
            raise DomainError(
                ErrorCode.PRODUCT_NOT_FOUND,
                f"no product with sku {line.sku!r}",
                field=f"lines.{index}.sku",
            )
        lines.append(OrderLine(line.sku, product.name, product.price, line.quantity))
    return lines


def _name_for(lines: Sequence[OrderLine]) -> str:
    first = lines[0].product_name
    name = first if len(lines) == 1 else f"{first} 외 {len(lines) - 1}건"
    # Stored in NFC, like a name given whole, so cancel-by-name finds it either way.
    return validation.nfc(name)[: validation.MAX_ORDER_NAME]


def _check_request(principal: Principal, request: CreateOrderRequest) -> None:
    explicit = request.order_name is not None or request.amount is not None
    if not principal.may_set_price and (explicit or request.buyer is not None):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "only admin or service tokens may set orderName, amount or buyer",
        )
    if explicit and request.lines:
        raise invalid_input("lines", "give either lines or orderName with amount, not both")
    if not explicit and not request.lines:
        raise invalid_input("lines", "an order needs at least one line")
    if explicit and (request.order_name is None or request.amount is None):
        raise invalid_input("amount", "orderName and amount go together")
    if request.lines is not None and len(request.lines) > validation.MAX_LINES:
        raise invalid_input("lines", f"an order has at most {validation.MAX_LINES} lines")
    for index, line in enumerate(request.lines or ()):
        validation.sku(line.sku, f"lines.{index}.sku")
        validation.quantity(line.quantity, f"lines.{index}.quantity")


def _checkout(services: Services, requested: Checkout | None) -> Checkout:
    checkout = requested or default_checkout(services.checkouts)
    if checkout not in services.checkouts:
        # Its payments could not be confirmed: the secret key of its set is not configured.
        raise invalid_input("checkout", f"this service takes no {checkout} checkout")
    return checkout


async def create_order(
    services: Services, principal: Principal, request: CreateOrderRequest
) -> Order:
    _check_request(principal, request)
    checkout = _checkout(services, request.checkout)
    buyer = validation.buyer(request.buyer) if request.buyer is not None else principal.subject
    now = services.clock()
    async with services.unit_of_work() as uow:
        lines: list[OrderLine] = []
        if request.lines:
            catalog = await uow.products.get_many([line.sku for line in request.lines])
            lines = _price_lines(request.lines, catalog)
            order_name = _name_for(lines)
            amount = validation.amount(sum(line.amount for line in lines))
        else:
            assert request.order_name is not None and request.amount is not None
            order_name = validation.order_name(request.order_name)
            amount = validation.amount(request.amount)
        order = Order(
            order_id=services.new_order_id(),
            buyer=buyer,
            order_name=order_name,
            amount=amount,
            status=OrderStatus.PENDING,
            created_at=now,
            updated_at=now,
            checkout=checkout,
        )
        await uow.orders.add(order, lines)
        await uow.events.append(
            PaymentEvent(
                order_id=order.order_id,
                event_type=PaymentEventType.ORDER_CREATED,
                created_at=now,
                detail={
                    "amount": amount,
                    "by": principal.role.value,
                    "lines": len(lines),
                    "checkout": checkout.value,
                },
            )
        )
    log.info("order created", extra={"order_id": order.order_id, "amount": amount})
    return order


async def get_order(services: Services, principal: Principal, order_id: str) -> Order | None:
    """The order if it exists and the caller may see it; None reads the same either way."""
    if not validation.ORDER_ID_PATTERN.fullmatch(order_id):
        return None
    order = await services.reads.order(order_id)
    if order is None or not principal.may_access(order.buyer):
        return None
    return order


async def get_order_with_payment(
    services: Services, principal: Principal, order_id: str
) -> tuple[Order, Payment | None] | None:
    """`get_order` and its payment, read together: the hot read of a polling client."""
    if not validation.ORDER_ID_PATTERN.fullmatch(order_id):
        return None
    found = await services.reads.order_with_payment(order_id)
    if found is None or not principal.may_access(found[0].buyer):
        return None
    return found


async def list_orders(
    services: Services,
    principal: Principal,
    *,
    first: int | None,
    after: OrderCursor | None,
    status: OrderStatus | None,
    needs_attention: bool = False,
) -> OrderPage:
    size = validation.page_size(first)
    buyer = None if principal.is_admin else principal.subject
    return await services.reads.orders(
        buyer=buyer, status=status, first=size, after=after, needs_attention=needs_attention
    )


async def payments_for_orders(services: Services, order_ids: Sequence[str]) -> dict[str, Payment]:
    return await services.reads.payments(order_ids)
