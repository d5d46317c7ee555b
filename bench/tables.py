"""The benchmark's own view of the project's tables, for the floors and the seed.

Written here rather than imported: a floor built from the project's code would share its
costs, and the point of a floor is to show them. Only the columns the floors and the seed
touch are declared; the names and types match the migrations (toss_graphql/db/tables.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# JSONB on PostgreSQL, JSON text on SQLite, as the project's columns are.
_JSON = JSON().with_variant(JSONB(), "postgresql")
# SQLite keeps no offset: values go in as naive UTC and come back naive (see `as_utc`).
_MOMENT = DateTime(timezone=True)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("buyer", String(128)),
    Column("order_name", String(100)),
    Column("amount", BigInteger),
    Column("status", String(24)),
    Column("payment_key", String(200)),
    Column("failure_code", String(100)),
    Column("failure_message", String(510)),
    Column("attention", String(200)),
    Column("created_at", _MOMENT),
    Column("updated_at", _MOMENT),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_key", String(200), primary_key=True),
    Column("order_id", String(64)),
    Column("method", String(32)),
    Column("total_amount", BigInteger),
    Column("balance_amount", BigInteger),
    Column("toss_status", String(24)),
    Column("approved_at", _MOMENT),
    Column("receipt_url", Text),
    Column("raw", _JSON),
    Column("created_at", _MOMENT),
    Column("updated_at", _MOMENT),
)

payment_events = Table(
    "payment_events",
    metadata,
    # BIGSERIAL on PostgreSQL, the rowid on SQLite: the database numbers the rows.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("order_id", String(64)),
    Column("event_type", String(48)),
    Column("request_id", String(64)),
    Column("payment_key", String(200)),
    Column("gateway_code", String(100)),
    Column("detail", _JSON),
    Column("created_at", _MOMENT),
)


def stored(moment: datetime) -> datetime:
    """A moment as it is bound: in UTC (SQLite's driver drops the offset, whatever it was)."""
    return moment.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """A moment as read back: aware, in UTC, on either database."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
