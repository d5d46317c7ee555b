"""An order followed live: its state now, then its state after each committed change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

from . import orders
from .errors import DomainError, ErrorCode
from .models import Order, Payment, Principal
from .ports.storage import OrderChanges
from .services import Services

OrderState = tuple[Order, Payment | None]


async def order_updates(
    services: Services,
    changes: OrderChanges,
    principal: Principal,
    order_id: str,
    *,
    until: datetime | None = None,
) -> AsyncGenerator[OrderState, None]:
    """The order as it is, then each state that differs from the last one yielded.

    Watching begins before the first read, so a change committed between the two is not
    lost: it wakes the loop, which reads again. A wake-up that finds nothing new (two changes
    seen by one read, or a change of a column no client sees) yields nothing. A missing order
    and another buyer's are refused alike, so a buyer cannot probe for order ids. The
    updates end when the caller's token expires (`until`).
    """
    with changes.watch(order_id) as signal:
        current = await orders.get_order_with_payment(services, principal, order_id)
        if current is None:
            raise DomainError(ErrorCode.ORDER_NOT_FOUND, "order not found")
        yield current
        while True:
            try:
                async with asyncio.timeout(_seconds_left(services, until)):
                    await signal.wait()
            except TimeoutError:
                raise DomainError(ErrorCode.UNAUTHENTICATED, "token has expired") from None
            latest = await services.reads.order_with_payment(order_id)
            if latest is not None and latest != current:
                current = latest
                yield current


def _seconds_left(services: Services, until: datetime | None) -> float | None:
    if until is None:
        return None
    return max(0.0, (until - services.clock()).total_seconds())
