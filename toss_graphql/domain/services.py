"""The collaborators every domain operation receives explicitly."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .ports.gateway import Checkout, PaymentGateway
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
    # The checkouts whose payments the gateway holds a secret key for: an order may be
    # created for these only.
    checkouts: frozenset[Checkout] = frozenset(Checkout)
    clock: Clock = utc_now
    new_order_id: IdGenerator = new_order_id
    sleep: Sleep = asyncio.sleep
    # How long an order's lock outlives its holder's last sign of life: meant to be longer
    # than one Toss call with all its retries, so a live holder is rarely overtaken (a call
    # waiting for a pooled connection may still outlive it: the holder's check before it
    # writes keeps the books whole, see order_lock), and short enough that a crashed holder's
    # orders are settled soon after.
    lock_lease: timedelta = timedelta(seconds=120)


def default_checkout(checkouts: frozenset[Checkout]) -> Checkout:
    """The checkout of an order that names none: the payment window where it is taken, as
    before the widget existed, else the widget."""
    return Checkout.PAYMENT_WINDOW if Checkout.PAYMENT_WINDOW in checkouts else Checkout.WIDGET
