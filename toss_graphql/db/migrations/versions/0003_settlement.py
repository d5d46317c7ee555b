"""settlement

Revision ID: 0003
Revises: 0002

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "webhook_inbox",
        sa.Column("transmission_id", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=48), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("payment_key", sa.String(length=200), nullable=True),
        sa.Column("claimed_status", sa.String(length=24), nullable=True),
        sa.Column("retried_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("transmission_id", name=op.f("pk_webhook_inbox")),
    )
    with op.batch_alter_table("webhook_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_inbox_status_received_at"),
            ["status", "received_at"],
            unique=False,
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attention", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("attention")

    with op.batch_alter_table("webhook_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_inbox_status_received_at"))

    op.drop_table("webhook_inbox")
