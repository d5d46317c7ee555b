"""The SQLite feed: each process reads the `order_changes` log from where it left off.

SQLite has no notifications, and the writers may be other processes (`--workers N`, a
`toss-graphql reconcile` from a shell), so each process polls the log its triggers append to
(migration 0004), every POLL_SECONDS while it has watchers and not at all otherwise. A poll is
one range read of the log's primary key on the event loop, tens of microseconds, like the read
path's (db/sqlite_reads.py). The cost is latency: a change reaches a subscriber up to
POLL_SECONDS after its commit.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from sqlalchemy.engine import make_url

from .order_change_hub import OrderChangeHub

POLL_SECONDS = 0.05
# Changes read per statement; a longer backlog is read in several, without waiting between.
BATCH = 500

log = logging.getLogger(__name__)

_NEWER = "SELECT seq, order_id FROM order_changes WHERE seq > ? ORDER BY seq LIMIT ?"
_LATEST = "SELECT coalesce(max(seq), 0) FROM order_changes"


class ChangeLogReader:
    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._connection.execute("PRAGMA query_only=1")
        # Never wait on the loop: a poll refused by a lock is tried again at the next one.
        self._connection.execute("PRAGMA busy_timeout=0")
        self.last_seen: int = self._connection.execute(_LATEST).fetchone()[0]

    def read_into(self, hub: OrderChangeHub) -> None:
        """Raise the watchers of every order changed since the last read."""
        while True:
            rows = self._connection.execute(_NEWER, (self.last_seen, BATCH)).fetchall()
            if not rows:
                return
            if rows[0][0] != self.last_seen + 1:
                # The log was trimmed past this reader (it kept the last 10,000 changes).
                hub.changed_all()
            for seq, order_id in rows:
                hub.changed(order_id)
                self.last_seen = seq
            if len(rows) < BATCH:
                return

    def close(self) -> None:
        self._connection.close()


async def follow_change_log(database_url: str, hub: OrderChangeHub) -> None:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise ValueError("subscriptions need a SQLite file: an in-memory database is private")
    reader = ChangeLogReader(path)
    # From here every change committed is read: the log was found and its end noted.
    hub.listening_started()
    try:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if not hub.watching:
                continue
            try:
                reader.read_into(hub)
            except sqlite3.Error as error:
                log.info("order change log not read; trying again", extra={"error": str(error)})
    finally:
        hub.listening_stopped()
        reader.close()
