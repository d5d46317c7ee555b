"""How a setting's text becomes its value: the checks behind config.Settings.

Each refusal names the values that are accepted; the environment variable is named by the
caller (settings_errors.py), which knows which one was read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

SQLITE_SCHEME = "sqlite+aiosqlite"
POSTGRESQL_SCHEME = "postgresql+asyncpg"
# Schemes written without a driver, as libpq, psql and most hosting providers give them: the
# meaning is clear, so they are taken with the one driver this service has for each.
_DRIVERLESS_SCHEMES = {
    "postgres": POSTGRESQL_SCHEME,
    "postgresql": POSTGRESQL_SCHEME,
    "sqlite": SQLITE_SCHEME,
}
DATABASE_URL_FORMS = (
    f"{SQLITE_SCHEME}:///path/to/file.db or {POSTGRESQL_SCHEME}://user:password@host/database"
)


def lower_case(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def upper_case(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def log_level_value(value: object) -> object:
    level = upper_case(value)
    if level == "WARN":
        return "WARNING"
    if isinstance(level, str) and level not in LOG_LEVELS:
        raise ValueError(f"should be one of {', '.join(LOG_LEVELS)} (in any case)")
    return level


def database_url_value(value: object) -> object:
    """A SQLAlchemy URL of a database this service has a driver for; None when empty."""
    if not isinstance(value, str):
        return value
    url = value.strip()
    if not url:
        return None
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError(f"is not a URL: use {DATABASE_URL_FORMS}")
    scheme = scheme.lower()
    scheme = _DRIVERLESS_SCHEMES.get(scheme, scheme)
    if scheme not in (SQLITE_SCHEME, POSTGRESQL_SCHEME):
        hint = (
            f"use {POSTGRESQL_SCHEME}://, the driver this service has"
            if scheme.startswith("postgres")
            else f"use {DATABASE_URL_FORMS}"
        )
        raise ValueError(f"has the scheme {scheme}://, which is not supported: {hint}")
    return f"{scheme}://{rest}"


def origins_value(value: object) -> object:
    """Comma-separated browser origins, each exactly scheme://host[:port] as browsers send
    it; or "*" alone."""
    if not isinstance(value, str):
        return value
    origins = [origin.strip() for origin in value.split(",") if origin.strip()]
    if origins == ["*"]:
        return value
    for origin in origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or origin != f"{parts.scheme}://{parts.netloc}"
        ):
            raise ValueError(
                f"holds {origin!r}: each origin must be scheme://host[:port], "
                "e.g. https://shop.example.com, with no path; or '*' alone"
            )
    return value
