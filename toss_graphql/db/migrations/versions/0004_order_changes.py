"""order changes: a signal committed with every visible change of an order

Revision ID: 0004
Revises: 0003

Subscriptions (docs/realtime.md) learn that an order changed from the database itself, in the
transaction that changed it, whoever made the change: a mutation, the reconciler, a webhook,
`toss-graphql reconcile` from a shell. On PostgreSQL a trigger calls pg_notify, delivered at
commit and never for a rollback. On SQLite, which has no notifications, the triggers append
to `order_changes`, a log each process reads from where it left off; the log keeps the last
10,000 changes.

SQLite drops a table's triggers when Alembic's batch mode rebuilds the table: a later
migration that rebuilds `orders`, `payments` or `cancels` must create them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "toss_graphql_order_changed"
CHANGES_KEPT = 10_000

# What a client of `Order` can see; the lock columns change without anything visible.
_VISIBLE_ORDER_CHANGE = " OR ".join(
    f"OLD.{column} IS DISTINCT FROM NEW.{column}"
    for column in ("status", "updated_at", "attention", "failure_code", "failure_message")
)

_POSTGRES_UPGRADE = (
    f"""
    CREATE FUNCTION toss_graphql_order_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            PERFORM pg_notify('{CHANNEL}', OLD.order_id);
        ELSE
            PERFORM pg_notify('{CHANNEL}', NEW.order_id);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER orders_changed AFTER UPDATE ON orders FOR EACH ROW
    WHEN ({_VISIBLE_ORDER_CHANGE}) EXECUTE FUNCTION toss_graphql_order_changed()
    """,
    """
    CREATE TRIGGER payments_changed AFTER INSERT OR UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION toss_graphql_order_changed()
    """,
    """
    CREATE TRIGGER cancels_changed AFTER INSERT ON cancels
    FOR EACH ROW EXECUTE FUNCTION toss_graphql_order_changed()
    """,
)

_POSTGRES_DOWNGRADE = (
    "DROP TRIGGER cancels_changed ON cancels",
    "DROP TRIGGER payments_changed ON payments",
    "DROP TRIGGER orders_changed ON orders",
    "DROP FUNCTION toss_graphql_order_changed()",
)


def _sqlite_trigger(name: str, event: str, table: str, row: str, when: str = "") -> str:
    # Inside a trigger last_insert_rowid() is the row it just appended; the oldest rows
    # past the kept window go in the same statement list, so the log never grows.
    condition = f"WHEN ({when})" if when else ""
    # Built from this module's constants only.
    return f"""
    CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {condition}
    BEGIN
        INSERT INTO order_changes (order_id) VALUES ({row}.order_id);
        DELETE FROM order_changes WHERE seq <= last_insert_rowid() - {CHANGES_KEPT};
    END
    """  # noqa: S608


_SQLITE_TRIGGERS = (
    _sqlite_trigger("orders_changed", "UPDATE", "orders", "NEW", _VISIBLE_ORDER_CHANGE),
    _sqlite_trigger("payments_inserted", "INSERT", "payments", "NEW"),
    _sqlite_trigger("payments_updated", "UPDATE", "payments", "NEW"),
    _sqlite_trigger("payments_deleted", "DELETE", "payments", "OLD"),
    _sqlite_trigger("cancels_inserted", "INSERT", "cancels", "NEW"),
)


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRES_UPGRADE:
            op.execute(statement)
        return
    # seq is the rowid: SQLite has one writer at a time, so it grows in commit order, and a
    # rolled-back change leaves no gap (its number is used again by the next).
    op.create_table(
        "order_changes",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.String(length=64), nullable=False),
    )
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRES_DOWNGRADE:
            op.execute(statement)
        return
    for name in (
        "orders_changed",
        "payments_inserted",
        "payments_updated",
        "payments_deleted",
        "cancels_inserted",
    ):
        op.execute(f"DROP TRIGGER {name}")
    op.drop_table("order_changes")
