"""Start-up checks of Toss's keys: the mix-ups Toss's error guide names as the usual cause of
a failing integration (docs/toss-api.md §1, "Key prefixes"), refused before anything runs.

A merchant holds two key sets, each a client key for the browser and a secret key for the
server: "API 개별 연동" (`test_ck_` / `test_sk_`, live: `live_ck_` / `live_sk_`) and the
payment widget's (`test_gck_` / `test_gsk_`). Toss answers a client key and secret key of
different sets, or a test key with a live one, with `INVALID_API_KEY` at the first confirm:
here the same mistakes stop the service at start, with one message naming the variable.
A message names variables and kinds of key, never a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .config import Settings


class TossKeyError(ValueError):
    """A Toss key in the wrong variable, or keys that cannot work together."""


class KeyKind(StrEnum):
    """A kind of key, valued by how a message names it (descriptions, not keys)."""

    SECRET = "an API secret key (…_sk_…)"  # noqa: S105
    CLIENT = "an API client key (…_ck_…)"
    WIDGET_SECRET = "a payment-widget secret key (…_gsk_…)"  # noqa: S105
    WIDGET_CLIENT = "a payment-widget client key (…_gck_…)"


@dataclass(frozen=True, slots=True)
class _Variable:
    name: str
    expected: KeyKind


_VARIABLES = (
    _Variable("TOSS_SECRET_KEY", KeyKind.SECRET),
    _Variable("TOSS_CLIENT_KEY", KeyKind.CLIENT),
    _Variable("TOSS_WIDGET_SECRET_KEY", KeyKind.WIDGET_SECRET),
    _Variable("TOSS_WIDGET_CLIENT_KEY", KeyKind.WIDGET_CLIENT),
)
_HOME = {variable.expected: variable.name for variable in _VARIABLES}
# A key reads `<environment>_<kind>_<rest>`: `test_gsk_docs_…`, `live_sk_…`.
_KINDS = {
    "sk": KeyKind.SECRET,
    "ck": KeyKind.CLIENT,
    "gsk": KeyKind.WIDGET_SECRET,
    "gck": KeyKind.WIDGET_CLIENT,
}


def kind_of(key: str) -> KeyKind | None:
    """The kind a key's prefix says it is; None for a key of no known shape."""
    parts = key.split("_", 2)
    if len(parts) < 3 or parts[0] not in ("test", "live"):
        return None
    return _KINDS.get(parts[1])


def _environment(key: str) -> str | None:
    for environment in ("test", "live"):
        if key.startswith(f"{environment}_"):
            return environment
    return None


def _values(settings: Settings) -> dict[str, str]:
    given = {
        "TOSS_SECRET_KEY": settings.toss_secret_key,
        "TOSS_CLIENT_KEY": settings.toss_client_key,
        "TOSS_WIDGET_SECRET_KEY": settings.toss_widget_secret_key,
        "TOSS_WIDGET_CLIENT_KEY": settings.toss_widget_client_key,
    }
    return {name: value for name, value in given.items() if value}


def check_toss_keys(settings: Settings) -> None:
    """Raise TossKeyError for the first mix-up found among the configured keys."""
    values = _values(settings)
    for variable in _VARIABLES:
        value = values.get(variable.name)
        if value is None:
            continue
        kind = kind_of(value)
        if kind is not None and kind is not variable.expected:
            advice = (
                "a secret key must never reach a browser"
                if variable.expected in (KeyKind.CLIENT, KeyKind.WIDGET_CLIENT)
                and kind in (KeyKind.SECRET, KeyKind.WIDGET_SECRET)
                else f"it belongs in {_HOME[kind]}"
            )
            raise TossKeyError(
                f"{variable.name} holds {kind.value}, not {variable.expected.value}: {advice}"
            )
    environments = {name: _environment(value) for name, value in values.items()}
    tested = {name: env for name, env in environments.items() if env is not None}
    if len(set(tested.values())) > 1:
        live = sorted(name for name, env in tested.items() if env == "live")
        test = sorted(name for name, env in tested.items() if env == "test")
        raise TossKeyError(
            f"{', '.join(live)} {'is a live key' if len(live) == 1 else 'are live keys'} but "
            f"{', '.join(test)} {'is a test key' if len(test) == 1 else 'are test keys'}: "
            "Toss refuses a test key with a live one (INVALID_API_KEY)"
        )
    for client, secret in (
        ("TOSS_CLIENT_KEY", "TOSS_SECRET_KEY"),
        ("TOSS_WIDGET_CLIENT_KEY", "TOSS_WIDGET_SECRET_KEY"),
    ):
        if client in values and secret not in values and not settings.uses_builtin_sandbox:
            raise TossKeyError(
                f"{client} is set but {secret} is not: the payments its checkout starts "
                f"could not be confirmed (set {secret}, or unset {client})"
            )
