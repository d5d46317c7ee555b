"""Sending the outbox's webhooks as Toss does (toss-api.md §8.1, §8.2).

A POST of the event's JSON with Toss's three headers; success is HTTP 200 within 10 seconds.
Otherwise the same event (same transmission id) is sent again 1, 4, 16, 64, 256, 1024 and
4096 minutes after each failed attempt, on the sandbox's clock, and is FAILED after the 7th
retry. Each attempt is claimed in the database first, so two workers never send it twice.

A pass claims the first due delivery of every payment in one statement, and each later one of
a payment just before it is sent: a claim lasts `CLAIM_LEASE`, and a payment's deliveries
go one after another, so a long queue of them claimed at once could outlast its lease.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import httpx
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.kst import isoformat_kst
from toss_sandbox.lifecycle.outbox import DeliveryStatus
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.tables import webhook_deliveries

RETRY_DELAYS: Final = tuple(timedelta(minutes=m) for m in (1, 4, 16, 64, 256, 1024, 4096))
RESPONSE_TIMEOUT_SECONDS: Final = 10.0
# A claim older than this (in real time) belongs to a worker that died mid-attempt.
CLAIM_LEASE: Final = timedelta(seconds=RESPONSE_TIMEOUT_SECONDS * 3)
# Due deliveries taken per pass; the rest wait for the next one.
_BATCH: Final = 100

# The statements are built once and executed with their values (see storage/payment_store.py);
# parameters of WHERE clauses are named apart from the columns an UPDATE sets.
_DUE: Final = (
    select(webhook_deliveries.c.id, webhook_deliveries.c.payment_key)
    .where(
        webhook_deliveries.c.status == DeliveryStatus.PENDING,
        webhook_deliveries.c.next_attempt_at <= bindparam("now"),
    )
    .order_by(webhook_deliveries.c.id)
    .limit(_BATCH)
)
# Takes the deliveries' current attempts, but for those another worker holds a live claim
# on, and returns what sending needs.
_CLAIM: Final = (
    update(webhook_deliveries)
    .where(
        webhook_deliveries.c.id.in_(bindparam("delivery_ids", expanding=True)),
        webhook_deliveries.c.status == DeliveryStatus.PENDING,
        webhook_deliveries.c.next_attempt_at <= bindparam("now"),
        or_(
            webhook_deliveries.c.claim_token.is_(None),
            webhook_deliveries.c.claimed_at < bindparam("lease_expired_before"),
        ),
    )
    .returning(
        webhook_deliveries.c.id,
        webhook_deliveries.c.transmission_id,
        webhook_deliveries.c.event_type,
        webhook_deliveries.c.url,
        webhook_deliveries.c.body,
        webhook_deliveries.c.attempts,
    )
)
_RECORD: Final = update(webhook_deliveries).where(
    webhook_deliveries.c.id == bindparam("delivery_id"),
    webhook_deliveries.c.claim_token == bindparam("token"),
)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt at one delivery, as `POST /admin/webhooks/deliver` reports it."""

    transmission_id: str
    event_type: str
    retried_count: int
    http_status: int | None
    error: str | None
    # DELIVERED, PENDING (a retry is scheduled) or FAILED (no retry left).
    outcome: DeliveryStatus
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    delivery_id: int
    payment_key: str


async def due_deliveries(connection: AsyncConnection, now: datetime) -> list[DueDelivery]:
    """Deliveries whose next attempt is due at `now`, oldest first."""
    rows = (await connection.execute(_DUE, {"now": now})).all()
    return [DueDelivery(row.id, row.payment_key) for row in rows]


@dataclass(frozen=True, slots=True)
class _Claimed:
    delivery_id: int
    token: str
    transmission_id: str
    event_type: str
    url: str
    body: str
    retried_count: int


def _outcome(
    delivered: bool, retried_count: int, now: datetime
) -> tuple[DeliveryStatus, datetime | None]:
    if delivered:
        return DeliveryStatus.DELIVERED, None
    if retried_count < len(RETRY_DELAYS):
        return DeliveryStatus.PENDING, now + RETRY_DELAYS[retried_count]
    return DeliveryStatus.FAILED, None


class WebhookSender:
    def __init__(self, database: Database, transport: httpx.AsyncBaseTransport | None) -> None:
        self._database = database
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http_client(self) -> httpx.AsyncClient:
        # Made on first use: building its TLS context costs ~20 ms, which a sandbox that
        # never sends a webhook should not pay at every start.
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=RESPONSE_TIMEOUT_SECONDS,
                # A redirect is not a 200: Toss does not follow it either.
                follow_redirects=False,
            )
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def deliver(self, due: list[DueDelivery], now: datetime) -> list[Attempt]:
        """Attempt each of `due` once; what happened to each.

        One payment's webhooks go one after another, in the order they were recorded, so a
        receiver sees DONE before CANCELED; different payments' go side by side.
        """
        by_payment: dict[str, list[int]] = {}
        for delivery in due:
            by_payment.setdefault(delivery.payment_key, []).append(delivery.delivery_id)
        firsts = await self._claim([ids[0] for ids in by_payment.values()], now)
        rounds = await asyncio.gather(
            *(self._attempt_in_order(ids, firsts, now) for ids in by_payment.values())
        )
        return [attempt for attempts in rounds for attempt in attempts]

    async def _attempt_in_order(
        self, delivery_ids: list[int], firsts: dict[int, _Claimed], now: datetime
    ) -> list[Attempt]:
        attempts: list[Attempt] = []
        for position, delivery_id in enumerate(delivery_ids):
            claimed = (
                firsts.get(delivery_id)
                if position == 0
                else (await self._claim([delivery_id], now)).get(delivery_id)
            )
            # None: another worker has it, or sent it since it was listed.
            if claimed is not None:
                attempts.append(await self._attempt(claimed, now))
        return attempts

    async def _attempt(self, claimed: _Claimed, now: datetime) -> Attempt:
        http_status, error = await self._send(claimed, now)
        status, next_attempt_at = _outcome(http_status == 200, claimed.retried_count, now)
        async with self._database.write() as connection:
            await connection.execute(
                _RECORD,
                {
                    "delivery_id": claimed.delivery_id,
                    "token": claimed.token,
                    "status": status,
                    "attempts": claimed.retried_count + 1,
                    "next_attempt_at": next_attempt_at,
                    "last_attempt_at": now,
                    "last_status": http_status,
                    "last_error": error,
                    "claim_token": None,
                    "claimed_at": None,
                },
            )
        return Attempt(
            transmission_id=claimed.transmission_id,
            event_type=claimed.event_type,
            retried_count=claimed.retried_count,
            http_status=http_status,
            error=error,
            outcome=status,
            next_attempt_at=next_attempt_at,
        )

    async def _claim(self, delivery_ids: list[int], now: datetime) -> dict[int, _Claimed]:
        """The attempts now claimed for this worker, by delivery id: those of `delivery_ids`
        still due and not claimed by another worker."""
        if not delivery_ids:
            return {}
        token = secrets.token_hex(16)
        real_now = datetime.now(UTC)
        async with self._database.write() as connection:
            result = await connection.execute(
                _CLAIM,
                {
                    "delivery_ids": delivery_ids,
                    "now": now,
                    "lease_expired_before": real_now - CLAIM_LEASE,
                    "claim_token": token,
                    "claimed_at": real_now,
                },
            )
            rows = result.all()
        return {
            row.id: _Claimed(
                delivery_id=row.id,
                token=token,
                transmission_id=row.transmission_id,
                event_type=row.event_type,
                url=row.url,
                body=row.body,
                retried_count=row.attempts,
            )
            for row in rows
        }

    async def _send(self, claimed: _Claimed, now: datetime) -> tuple[int | None, str | None]:
        """The receiver's HTTP status, or None and what went wrong."""
        headers = {
            "Content-Type": "application/json",
            "tosspayments-webhook-transmission-id": claimed.transmission_id,
            "tosspayments-webhook-transmission-time": isoformat_kst(now),
            "tosspayments-webhook-transmission-retried-count": str(claimed.retried_count),
        }
        try:
            async with asyncio.timeout(RESPONSE_TIMEOUT_SECONDS):
                response = await self._http_client().post(
                    claimed.url, content=claimed.body.encode(), headers=headers
                )
        except TimeoutError:
            return None, f"no answer within {RESPONSE_TIMEOUT_SECONDS:g} s"
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"[:500]
        return response.status_code, None
