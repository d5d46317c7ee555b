"""The floors: bare Starlette endpoints doing a hot path's unavoidable work and nothing else.

Each takes the very request the project's /graphql gets (same body, same bearer token) and
gives the same JSON back, so wrk drives both with one script. What a floor does:

- verifies the HS256 token with PyJWT: signature, expiry (with the project's 30 s leeway),
  a subject of 1 to 128 characters;
- reads or writes the rows through SQLAlchemy Core with the benchmark's own tables
  (bench/tables.py), one statement per step;
- answers with Starlette's JSONResponse.

None of it imports the project: a floor that shared the project's code would share its costs.
Served by uvicorn as a process of its own (`python -m uvicorn bench.floors:app_from_env
--factory`), configured through the BENCH_FLOOR_* variables.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .tables import as_utc, orders, payment_events, payments, stored

# The project's own bounds (toss_graphql/auth.py): clock skew tolerated, longest subject.
LEEWAY_SECONDS = 30
MAX_SUBJECT_LENGTH = 128
# The page the benchmark's `orders(first: 20)` asks for.
PAGE_SIZE = 20
POOL_SIZE = 16
# Statuses a checkout may be claimed from (the project's CONFIRM_CLAIMED edge).
CLAIMABLE = ("PENDING", "FAILED")


@dataclass(frozen=True, slots=True)
class FloorSettings:
    database_url: str
    jwt_secret: str
    toss_url: str
    toss_secret_key: str

    @classmethod
    def from_env(cls) -> FloorSettings:
        return cls(
            database_url=os.environ["BENCH_FLOOR_DATABASE_URL"],
            jwt_secret=os.environ["BENCH_FLOOR_JWT_SECRET"],
            toss_url=os.environ.get("BENCH_FLOOR_TOSS_URL", "http://127.0.0.1:9"),
            toss_secret_key=os.environ.get("BENCH_FLOOR_TOSS_SECRET_KEY", "test_sk_sandbox"),
        )


def _engine(url: str) -> AsyncEngine:
    # As many connections as wrk keeps open, so no request waits for one. On SQLite too:
    # each aiosqlite connection has a thread of its own, and readers run side by side
    # (measured: about 1.5x the rate of a single connection for the `order` read).
    options: dict[str, Any] = {}
    if os.environ.get("BENCH_FLOOR_PGBOUNCER") == "true":
        # PgBouncer in transaction mode keeps no prepared statement from one transaction to
        # the next: none cached by asyncpg or SQLAlchemy, and each named anew.
        options["connect_args"] = {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__floor_{uuid.uuid4().hex}__",
        }
    engine = create_async_engine(
        url, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=60, **options
    )
    if engine.dialect.name != "sqlite":
        return engine

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # The project's durability and integrity settings, so both pay the same fsyncs.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


class Floor:
    """The endpoints, over one engine and one HTTP client per process."""

    def __init__(self, settings: FloorSettings) -> None:
        self._settings = settings
        self._engine = _engine(settings.database_url)
        self._http = httpx.AsyncClient(base_url=settings.toss_url, timeout=30)
        basic = base64.b64encode(f"{settings.toss_secret_key}:".encode()).decode()
        self._toss_auth = f"Basic {basic}"
        sqlite = self._engine.dialect.name == "sqlite"
        # SQLite runs one writer at a time: writers queueing on a lock here wait less than
        # writers polling SQLite's busy handler. (Two claims of one order are still settled
        # by the claiming UPDATE's WHERE clause, not by this lock.)
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if sqlite else None

    async def close(self) -> None:
        await self._http.aclose()
        await self._engine.dispose()

    def subject(self, request: Request) -> str | None:
        """The verified token's subject, or None for a missing or bad token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims = jwt.decode(
                token,
                self._settings.jwt_secret,
                algorithms=["HS256"],
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError:
            return None
        subject = claims["sub"]
        if not isinstance(subject, str) or not 1 <= len(subject) <= MAX_SUBJECT_LENGTH:
            return None
        return subject

    async def order(self, request: Request, subject: str) -> Response:
        variables = (await request.json())["variables"]
        query = (
            select(
                orders.c.order_id,
                orders.c.buyer,
                orders.c.order_name,
                orders.c.amount,
                orders.c.status,
                orders.c.created_at,
                payments.c.payment_key,
                payments.c.method,
                payments.c.total_amount,
                payments.c.balance_amount,
                payments.c.approved_at,
            )
            .select_from(orders.outerjoin(payments, payments.c.order_id == orders.c.order_id))
            .where(orders.c.order_id == str(variables["orderId"]))
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        # Another buyer's order reads exactly as a missing one.
        if row is None or row.buyer != subject:
            return JSONResponse({"data": {"order": None}})
        payment = None
        if row.payment_key is not None:
            payment = {
                "paymentKey": row.payment_key,
                "method": row.method,
                "totalAmount": row.total_amount,
                "balanceAmount": row.balance_amount,
                "approvedAt": _moment(row.approved_at),
            }
        found = {
            "orderId": row.order_id,
            "buyer": row.buyer,
            "orderName": row.order_name,
            "amount": row.amount,
            "status": row.status,
            "createdAt": _moment(row.created_at),
            "payment": payment,
        }
        return JSONResponse({"data": {"order": found}})

    async def orders(self, request: Request, subject: str) -> Response:
        await request.body()  # the same bytes are received, though the page size is fixed
        # The project's keyset order: newest first, ties broken by order id; one row more
        # than the page says whether another page follows.
        query = (
            select(
                orders.c.order_id,
                orders.c.order_name,
                orders.c.amount,
                orders.c.status,
                orders.c.created_at,
            )
            .where(orders.c.buyer == subject)
            .order_by(orders.c.created_at.desc(), orders.c.order_id.desc())
            .limit(PAGE_SIZE + 1)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        page = rows[:PAGE_SIZE]
        edges = [
            {
                "node": {
                    "orderId": row.order_id,
                    "orderName": row.order_name,
                    "amount": row.amount,
                    "status": row.status,
                    "createdAt": _moment(row.created_at),
                }
            }
            for row in page
        ]
        last = page[-1] if page else None
        page_info = {
            "hasNextPage": len(rows) > PAGE_SIZE,
            "endCursor": None if last is None else _cursor(as_utc(last.created_at), last.order_id),
        }
        return JSONResponse({"data": {"orders": {"edges": edges, "pageInfo": page_info}}})

    async def confirm(self, request: Request, subject: str) -> Response:
        variables = (await request.json())["variables"]
        payment_key = str(variables["paymentKey"])
        order_id = str(variables["orderId"])
        amount = int(variables["amount"])
        request_id = secrets.token_hex(8)

        # Transaction 1: claim the order (its owner, its amount, a claimable status) and
        # audit the claim. The UPDATE comes first, so SQLite takes its write lock at once.
        claimed_at = datetime.now(UTC)
        async with self._writing(), self._engine.begin() as connection:
            claim = await connection.execute(
                update(orders)
                .where(
                    orders.c.order_id == order_id,
                    orders.c.buyer == subject,
                    orders.c.amount == amount,
                    orders.c.status.in_(CLAIMABLE),
                )
                .values(
                    status="CONFIRMING",
                    payment_key=payment_key,
                    failure_code=None,
                    failure_message=None,
                    updated_at=stored(claimed_at),
                )
            )
            if claim.rowcount != 1:
                return _confirm_refused("INVALID_STATE", "order cannot be confirmed")
            await connection.execute(
                insert(payment_events).values(
                    order_id=order_id,
                    event_type="CONFIRM_CLAIMED",
                    request_id=request_id,
                    payment_key=payment_key,
                    detail={"by": "floor"},
                    created_at=stored(claimed_at),
                )
            )

        # One call to Toss, with a key derived from the checkout so a retry replays it.
        reply = await self._http.post(
            "/v1/payments/confirm",
            json={"paymentKey": payment_key, "orderId": order_id, "amount": amount},
            headers={
                "Authorization": self._toss_auth,
                "Idempotency-Key": _idempotency_key(order_id, payment_key, amount),
            },
        )
        toss = reply.json()
        if (
            reply.status_code != 200
            or toss.get("status") != "DONE"
            or toss.get("paymentKey") != payment_key
            or toss.get("orderId") != order_id
            or toss.get("totalAmount") != amount
        ):
            # The floor's runs never get here; the order is left CONFIRMING, unsettled.
            return _confirm_refused("PAYMENT_PENDING", "Toss did not approve the checkout")

        # Transaction 2: the order PAID, the payment row with Toss's reply, the audit row.
        approved_at = datetime.fromisoformat(toss["approvedAt"]).astimezone(UTC)
        settled_at = datetime.now(UTC)
        async with self._writing(), self._engine.begin() as connection:
            paid = await connection.execute(
                update(orders)
                .where(
                    orders.c.order_id == order_id,
                    orders.c.status == "CONFIRMING",
                    orders.c.payment_key == payment_key,
                )
                .values(status="PAID", updated_at=stored(settled_at))
            )
            if paid.rowcount != 1:
                return _confirm_refused("INVALID_STATE", "order moved while Toss was asked")
            await connection.execute(
                insert(payments).values(
                    payment_key=payment_key,
                    order_id=order_id,
                    method=toss.get("method"),
                    total_amount=amount,
                    balance_amount=amount,
                    toss_status="DONE",
                    approved_at=stored(approved_at),
                    receipt_url=(toss.get("receipt") or {}).get("url"),
                    raw=toss,
                    created_at=stored(settled_at),
                    updated_at=stored(settled_at),
                )
            )
            await connection.execute(
                insert(payment_events).values(
                    order_id=order_id,
                    event_type="CONFIRM_APPROVED",
                    request_id=request_id,
                    payment_key=payment_key,
                    detail={"source": "confirm", "from": "CONFIRMING", "to": "PAID"},
                    created_at=stored(settled_at),
                )
            )
        payload = {
            "order": {"orderId": order_id, "status": "PAID", "amount": amount},
            "payment": {
                "paymentKey": payment_key,
                "method": toss.get("method"),
                "totalAmount": amount,
                "balanceAmount": amount,
                "approvedAt": approved_at.isoformat(),
            },
            "errors": [],
        }
        return JSONResponse({"data": {"confirmPayment": payload}})

    def _writing(self) -> AbstractAsyncContextManager[object]:
        return self._write_lock if self._write_lock is not None else nullcontext()


Handler = Callable[[Request, str], Awaitable[Response]]


def _authenticated(handler: Callable[[Floor], Handler]) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, refusing a request without a valid token before any other work."""

    async def endpoint(request: Request) -> Response:
        floor: Floor = request.app.state.floor
        subject = floor.subject(request)
        if subject is None:
            return JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)
        return await handler(floor)(request, subject)

    return endpoint


def _moment(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def _cursor(created_at: datetime, order_id: str) -> str:
    """The project's page cursor: its JSON pair, base64url without padding."""
    payload = json.dumps([created_at.isoformat(), order_id]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _idempotency_key(order_id: str, payment_key: str, amount: int) -> str:
    checkout = json.dumps([order_id, payment_key, amount]).encode()
    return "confirm-" + hashlib.sha256(checkout).hexdigest()


def _confirm_refused(code: str, message: str) -> Response:
    payload = {"order": None, "payment": None, "errors": [{"code": code, "message": message}]}
    return JSONResponse({"data": {"confirmPayment": payload}})


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(settings: FloorSettings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        floor = Floor(settings)
        app.state.floor = floor
        try:
            yield
        finally:
            await floor.close()

    return Starlette(
        routes=[
            Route("/order", _authenticated(lambda floor: floor.order), methods=["POST"]),
            Route("/orders", _authenticated(lambda floor: floor.orders), methods=["POST"]),
            Route("/confirm", _authenticated(lambda floor: floor.confirm), methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    """uvicorn's factory: every worker process builds its own app from the environment."""
    return create_app(FloorSettings.from_env())
