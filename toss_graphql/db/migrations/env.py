"""Alembic environment: runs on the connection that `toss_graphql.db.migrate` hands it."""

from __future__ import annotations

from alembic import context

from toss_graphql.db.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with 'toss-graphql migrate'")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite can alter a table only by copying it; batch mode does that on SQLite alone.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
