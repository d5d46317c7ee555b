"""The collaborators every domain operation receives explicitly."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .ports.gateway import PaymentGateway
from .ports.storage import Clock, IdGenerator, OrderReads, Sleep, UnitOfWorkFactory


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_order_id() -> str:
    # 32 url-safe characters from 24 random bytes: unguessable, and within Toss's orderId rules.
    return "ord_" + secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Services:
    unit_of_work: UnitOfWorkFactory
    # Reads that change nothing take no transaction (docs/architecture.md §5).
    reads: OrderReads
    gateway: PaymentGateway
    clock: Clock = utc_now
    new_order_id: IdGenerator = new_order_id
    sleep: Sleep = asyncio.sleep
    # How long an order's lock outlives its holder's last sign of life: longer than one Toss
    # call with all its retries, so a live holder is never overtaken, and short enough that
    # a crashed holder's orders are settled soon after.
    lock_lease: timedelta = timedelta(seconds=120)
