"""refund accounts: the masked account a deposited virtual account is refunded to

Revision ID: 0006
Revises: 0005

A deposited virtual account is refunded to a bank account the buyer names (Toss's
`refundReceiveAccount`, docs/toss-api.md §2.4). The account is sent to Toss and never kept
whole: its cancel request keeps it masked, and a digest to tell a repeat's account apart.
Nullable columns added in place (no table rebuild).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "cancel_requests", sa.Column("refund_account_masked", sa.String(length=120), nullable=True)
    )
    op.add_column(
        "cancel_requests", sa.Column("refund_account_digest", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("cancel_requests", "refund_account_digest")
    op.drop_column("cancel_requests", "refund_account_masked")
