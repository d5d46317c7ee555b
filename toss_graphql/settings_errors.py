"""What an operator is told about the environment: one line for each bad setting, naming its
environment variable and the values it accepts, and the variables that look like a setting's
name and are not one (README.md, Configuration)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .config import Settings

# How alike two names must be to count as a misspelling (difflib's ratio): one letter
# missing, doubled, swapped or changed in a setting's name is above it; another program's
# variable that shares a word or two with one of ours is below it.
CLOSE_NAME_CUTOFF = 0.88
# Variables of other programs, and of this project's test and tracing set-up, that are never
# a misspelling of ours however alike they look.
_FOREIGN_PREFIXES = ("OTEL_", "TOSS_LIVE_", "PYTEST_", "PYTHON", "UVICORN_", "LC_", "XDG_")
_WELL_KNOWN = frozenset(
    {"PATH", "HOME", "USER", "SHELL", "TERM", "LANG", "PWD", "HOSTNAME", "TZ", "TMPDIR"}
)
_ENVIRONMENT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# The part of a URL between "://" and "@" that may hold a password.
_CREDENTIALS = re.compile(r"(?<=://)([^/@:]*):[^/@]*@")
_SECRET_WORDS = ("SECRET", "KEY", "TOKEN", "PASSWORD")


def setting_names() -> frozenset[str]:
    """Every setting's environment variable."""
    return frozenset(name.upper() for name in Settings.model_fields)


def misspelled_settings(
    environ: Mapping[str, str], names: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """(variable set, setting meant) for each variable whose name closely resembles a
    setting's and is not one."""
    known = sorted(setting_names() if names is None else names)
    found = []
    for variable in sorted(environ):
        if (
            variable.upper() in known
            or not _ENVIRONMENT_NAME.fullmatch(variable)
            or variable in _WELL_KNOWN
            or variable.startswith(_FOREIGN_PREFIXES)
        ):
            continue
        close = difflib.get_close_matches(variable, known, n=1, cutoff=CLOSE_NAME_CUTOFF)
        if close:
            found.append((variable, close[0]))
    return found


def masked_url(url: str) -> str:
    """The URL with its password replaced by ***."""
    return _CREDENTIALS.sub(r"\1:***@", url)


def database_description(url: str) -> str:
    """Which database, for people: the scheme, the host and port, the database's name or
    file; never the password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return masked_url(url)
    return parsed.render_as_string(hide_password=True)


def validation_messages(error: ValidationError) -> list[str]:
    """One line per bad setting: its variable, what it was given, and what is accepted."""
    return [_message(detail) for detail in error.errors()]


def _message(detail: Any) -> str:
    location = detail.get("loc") or ()
    text = str(detail.get("msg", "is not accepted")).removeprefix("Value error, ")
    if not location:
        return text
    field = str(location[0])
    variable = field.upper()
    shown = _shown(variable, detail.get("input"))
    bounds = _bounds(field)
    if bounds is not None:
        text = f"should be a number from {_number(bounds[0])} to {_number(bounds[1])}"
    elif text.startswith("Input should"):
        text = text.replace("Input should", "should", 1)
    return f"{variable}={shown} is not accepted: {text}"


def _shown(variable: str, value: object) -> str:
    if not isinstance(value, str):
        return repr(value)
    if any(word in variable for word in _SECRET_WORDS):
        return "'***'"
    return repr(masked_url(value))


def _bounds(field: str) -> tuple[float, float] | None:
    info = Settings.model_fields.get(field)
    if info is None:
        return None
    low = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    if low is None or high is None:
        return None
    return float(low), float(high)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
