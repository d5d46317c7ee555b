"""order checkout: the Toss key set each order is paid through

Revision ID: 0005
Revises: 0004

A merchant holds two Toss key sets, the payment window's and the payment widget's, and Toss
takes every call about a payment with the secret key of the set that started it
(docs/toss-api.md §1). Each order records its set; orders made before this revision were all
paid through the payment window, which the default says.

The column is added in place, never by rebuilding the table: on SQLite a rebuild would drop
the triggers of 0004.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "orders",
        sa.Column(
            "checkout",
            sa.String(length=16),
            server_default="PAYMENT_WINDOW",
            nullable=False,
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    # SQLite 3.35+ drops a column in place, keeping the table's triggers.
    op.drop_column("orders", "checkout")
