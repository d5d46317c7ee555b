"""Start-up check of where the order change listener connects (docs/operations.md, "PgBouncer
in transaction mode"): refused before anything runs, with one message naming the variable.

Through a transaction pooler a LISTEN lands on a server session that is lent to other
clients, and its notifications are lost without an error: the listener would log that it
listens, and live updates would never move. A message names variables, never a URL (which
may hold a password).
"""

from __future__ import annotations

from .config import Settings


def listen_url_problem(settings: Settings) -> str | None:
    """Why the order change listener could not hear through these settings; None if it can."""
    if not settings.database_pgbouncer or not settings.subscriptions_enabled:
        return None
    if not settings.database_listen_url:
        return (
            "DATABASE_PGBOUNCER=true with subscriptions on needs DATABASE_LISTEN_URL: the order "
            "change listener's LISTEN goes through the pooler otherwise, and no notification "
            "reaches it (set DATABASE_LISTEN_URL to PostgreSQL itself, or "
            "SUBSCRIPTIONS_ENABLED=false)"
        )
    if settings.database_listen_url == settings.database_url:
        return (
            "DATABASE_LISTEN_URL is DATABASE_URL, the pooler (DATABASE_PGBOUNCER=true): no "
            "notification reaches a LISTEN through it (set DATABASE_LISTEN_URL to PostgreSQL "
            "itself)"
        )
    return None
