"""cancels

Revision ID: 0002
Revises: 0001

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "cancel_requests",
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("buyer", sa.String(length=128), nullable=False),
        sa.Column("order_name", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("requested_amount", sa.BigInteger(), nullable=True),
        sa.Column("requested_order_id", sa.String(length=64), nullable=True),
        sa.Column("client_key", sa.String(length=300), nullable=True),
        sa.Column("toss_idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("transaction_key", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=48), nullable=True),
        sa.Column("error_message", sa.String(length=510), nullable=True),
        sa.Column("gateway_code", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name=op.f("fk_cancel_requests_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_cancel_requests")),
        sa.UniqueConstraint(
            "buyer", "client_key", name=op.f("uq_cancel_requests_buyer_client_key")
        ),
    )
    with op.batch_alter_table("cancel_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cancel_requests_order_id"), ["order_id"], unique=False)

    op.create_table(
        "cancels",
        sa.Column("transaction_key", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("payment_key", sa.String(length=200), nullable=False),
        sa.Column("buyer", sa.String(length=128), nullable=False),
        sa.Column("order_name", sa.String(length=100), nullable=False),
        sa.Column("cancel_amount", sa.BigInteger(), nullable=False),
        sa.Column("cancel_reason", sa.String(length=200), nullable=False),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=True),
        sa.Column("raw", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cancel_amount > 0", name=op.f("ck_cancels_cancel_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], name=op.f("fk_cancels_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("transaction_key", name=op.f("pk_cancels")),
    )
    with op.batch_alter_table("cancels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cancels_buyer_canceled_at"), ["buyer", "canceled_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cancels_canceled_at"), ["canceled_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cancels_order_id_canceled_at"), ["order_id", "canceled_at"], unique=False
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lock_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("locked_at")
        batch_op.drop_column("lock_token")

    with op.batch_alter_table("cancels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cancels_order_id_canceled_at"))
        batch_op.drop_index(batch_op.f("ix_cancels_canceled_at"))
        batch_op.drop_index(batch_op.f("ix_cancels_buyer_canceled_at"))

    op.drop_table("cancels")
    with op.batch_alter_table("cancel_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cancel_requests_order_id"))

    op.drop_table("cancel_requests")
