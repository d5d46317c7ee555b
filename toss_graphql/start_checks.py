"""What the commands check before they print or serve anything: the port is free, the
database answers and is migrated; and what the banner says about where the data lives.

Each refusal is one line for the operator (StartRefused), naming the setting to change; the
CLI prints it and exits with 2.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from .config import Settings
from .db.engine import create_database_engine, is_sqlite
from .db.health import active_products
from .db.migrate import is_at_head, upgrade_to_head
from .settings_errors import database_description, masked_url


class StartRefused(Exception):
    """A command cannot start: the message is one line that says what to change."""


@dataclass(frozen=True, slots=True)
class DatabaseState:
    active_products: int


def check_port_free(host: str, port: int) -> None:
    """Binds the address the way uvicorn will (SO_REUSEADDR), so that a port held by another
    process is refused before the banner prints tokens for a server that never runs."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise StartRefused(
            f"--host {host}: the address cannot be resolved ({error.strerror})"
        ) from None
    family, kind, protocol, _, address = addresses[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise StartRefused(
                    f"--port {port}: {host}:{port} is already in use by another process "
                    "(choose another with --port)"
                ) from None
            raise StartRefused(f"--host {host} --port {port}: {error.strerror}") from None


def unreachable(settings: Settings, error: BaseException) -> StartRefused:
    """The one line for a database that cannot be reached or opened."""
    url = masked_url(settings.resolved_database_url())
    return StartRefused(f"DATABASE_URL={url}: the database cannot be used: {_reason(error)}")


def not_migrated(settings: Settings) -> StartRefused:
    url = masked_url(settings.resolved_database_url())
    return StartRefused(
        f"DATABASE_URL={url}: the database schema is not at the latest migration: "
        "run 'toss-graphql migrate' first"
    )


async def ready_database(settings: Settings) -> DatabaseState:
    """The database `serve` and `seed-demo` will use, reachable and migrated (an embedded
    SQLite file is migrated here, as start-up would); StartRefused otherwise."""
    url = settings.resolved_database_url()
    engine = create_database_engine(url, pool_size=1, pgbouncer=settings.database_pgbouncer)
    try:
        if is_sqlite(url):
            await upgrade_to_head(engine)
        elif not await is_at_head(engine):
            raise not_migrated(settings)
        return DatabaseState(await active_products(engine))
    except (DBAPIError, OSError, TimeoutError) as error:
        raise unreachable(settings, error) from None
    finally:
        await engine.dispose()


def database_line(settings: Settings) -> str:
    """Which database, for the banner: an SQLite file by its full path (a relative
    TOSS_GRAPHQL_VAR_DIR is relative to where the command runs), a server by scheme, host and
    name; never a password."""
    url = settings.resolved_database_url()
    if is_sqlite(url):
        database = make_url(url).database or ""
        where = database if database == ":memory:" else str(Path(database).resolve())
        return f"SQLite file {where}"
    return database_description(url)


def _reason(error: BaseException) -> str:
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    text = lines[0] if lines else type(cause).__name__
    # asyncpg's errors come wrapped as "<class '...InvalidCatalogNameError'>: message".
    return text.rpartition(">: ")[2] or type(cause).__name__
