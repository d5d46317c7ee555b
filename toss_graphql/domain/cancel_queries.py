"""Reading cancels back: per order, and as a buyer's (or an admin's) history.

Both are reads of the read path (`Services.reads`): no transaction, so no writer is waited
for (on SQLite a unit of work takes the write lock, docs/architecture.md §5)."""

from __future__ import annotations

from collections.abc import Sequence

from . import validation
from .errors import DomainError, ErrorCode
from .models import Cancel, Principal
from .ports.storage import CancelCursor, CancelPage
from .services import Services


async def cancels_for_orders(
    services: Services, order_ids: Sequence[str]
) -> dict[str, list[Cancel]]:
    return await services.reads.cancels(order_ids)


async def list_cancels(
    services: Services,
    principal: Principal,
    *,
    buyer: str | None,
    order_id: str | None,
    first: int | None,
    after: CancelCursor | None,
) -> CancelPage:
    size = validation.page_size(first)
    if buyer is not None:
        validation.buyer(buyer)
    if not principal.is_admin:
        if buyer is not None and buyer != principal.subject:
            raise DomainError(
                ErrorCode.FORBIDDEN, "a buyer may list only their own cancels", field="buyer"
            )
        buyer = principal.subject
    if order_id is not None and not validation.ORDER_ID_PATTERN.fullmatch(order_id):
        return CancelPage(cancels=[], has_next_page=False)
    return await services.reads.cancel_page(buyer=buyer, order_id=order_id, first=size, after=after)
