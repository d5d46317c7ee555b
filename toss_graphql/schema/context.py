"""The per-request context every resolver receives."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from graphql import GraphQLError
from starlette.requests import HTTPConnection
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from ..domain import cancel_queries, orders
from ..domain.errors import DomainError, ErrorCode
from ..domain.models import Cancel, Payment, Principal
from ..domain.ports.storage import OrderChanges
from ..domain.services import Services


def _payment_loader(services: Services) -> DataLoader[str, Payment | None]:
    async def load(order_ids: list[str]) -> list[Payment | None]:
        found = await orders.payments_for_orders(services, order_ids)
        return [found.get(order_id) for order_id in order_ids]

    return DataLoader(load_fn=load)


def _cancels_loader(services: Services) -> DataLoader[str, list[Cancel]]:
    async def load(order_ids: list[str]) -> list[list[Cancel]]:
        found = await cancel_queries.cancels_for_orders(services, order_ids)
        return [found.get(order_id, []) for order_id in order_ids]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    """Built per request: a loader shared across requests would serve one buyer's rows
    to another."""

    payment_by_order_id: DataLoader[str, Payment | None]
    cancels_by_order_id: DataLoader[str, list[Cancel]]

    @classmethod
    def for_request(cls, services: Services) -> Loaders:
        return cls(
            payment_by_order_id=_payment_loader(services),
            cancels_by_order_id=_cancels_loader(services),
        )


class RateLimiter(Protocol):
    async def check(self, buyer: str | None, address: str | None) -> int | None:
        """None when allowed (one hit taken), else the seconds to wait."""
        ...


class SubscriptionBudget(Protocol):
    def slot(self, subject: str) -> AbstractContextManager[None]:
        """Held while one subscription of `subject` runs; raises TooManySubscriptions when
        the subject already holds its share."""
        ...


@dataclass
class Context:
    """One HTTP request's, or one WebSocket connection's for every operation sent on it."""

    request: HTTPConnection
    response: Response | None
    services: Services
    principal: Principal | None
    rate_limiter: RateLimiter
    auth_problem: str | None = None
    # Subscriptions: where changes are announced (None when they are turned off), each
    # caller's share, and when the caller's token expires.
    order_changes: OrderChanges | None = None
    subscriptions: SubscriptionBudget | None = None
    expires_at: float | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders.for_request(self.services)

    def renew_loaders(self) -> Loaders:
        """New loaders for each message of a subscription: a connection's context lives
        as long as it does, and loaders remember what they loaded."""
        self.loaders = Loaders.for_request(self.services)
        return self.loaders

    async def throttle(self) -> DomainError | None:
        """Count one mutation against the caller's and the address's budgets; the refusal,
        with a Retry-After header set, when either is spent."""
        buyer = self.principal.subject if self.principal else None
        address = self.request.client.host if self.request.client else None
        wait = await self.rate_limiter.check(buyer, address)
        if wait is None:
            return None
        if self.response is not None:
            self.response.headers["Retry-After"] = str(wait)
        return DomainError(ErrorCode.RATE_LIMITED, f"too many requests; retry in {wait} seconds")

    def require_principal(self) -> Principal:
        if self.principal is None:
            message = "a valid bearer token is required"
            if self.auth_problem:
                message = f"{message}: {self.auth_problem}"
            raise GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})
        return self.principal
