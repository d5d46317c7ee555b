"""How a contract case is written down, and how an answer is held against it.

A case is one request and the answer Toss documents for it; `cases.py` holds the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Final


class Auth(Enum):
    SECRET_KEY = "the target's secret key, sent as Basic base64(key + ':')"
    WIDGET_KEY = "the target's payment-widget secret key (test_gsk_), sent the same way"
    WRONG_KEY = "a well-formed test secret key that no merchant holds"
    NO_COLON = "the target's secret key, encoded without its ':'"
    NONE = "no Authorization header"


class Given(Enum):
    NOTHING = "nothing; runs against every target"
    AUTHENTICATED = "a payment a buyer approved in the window (IN_PROGRESS), not confirmed"
    AUTHENTICATED_BY_WIDGET = (
        "a payment a buyer approved through the payment widget (its client key), not confirmed"
    )
    DONE = "a confirmed payment of CHECKOUT_AMOUNT"
    PARTIAL_CANCELED = "a confirmed payment with PARTIAL_CANCEL_AMOUNT canceled"
    CANCELED = "a confirmed payment canceled in full"

    @property
    def needs_checkout(self) -> bool:
        """Only the sandbox can stand in for the buyer in the payment window."""
        return self is not Given.NOTHING


class Language(Enum):
    KO = "Korean, Toss's default"
    EN = "English, asked for with Accept-Language: en-US"


class _Present:
    def __repr__(self) -> str:
        return "<any non-null value>"


PRESENT: Final = _Present()
"""Expected for a field whose value is not known in advance but must be there."""

# Toss's timestamps: yyyy-MM-dd'T'HH:mm:ss±hh:mm (toss-api.md §3).
TIMESTAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}"
)

_MISSING: Final = object()
_STEP: Final = re.compile(r"(?P<name>[A-Za-z]+)(?:\[(?P<index>[0-9]+)\])?")
_LENGTH: Final = re.compile(r"len\((?P<path>.+)\)")
_HANGUL: Final = re.compile(r"[\uac00-\ud7a3]")


def _walk(body: object, path: str) -> object:
    value = body
    for step in path.split("."):
        match = _STEP.fullmatch(step)
        if match is None:
            raise ValueError(f"bad field path {path!r}")
        if not isinstance(value, dict) or match["name"] not in value:
            return _MISSING
        value = value[match["name"]]
        if match["index"] is not None:
            index = int(match["index"])
            if not isinstance(value, list) or index >= len(value):
                return _MISSING
            value = value[index]
    return value


def value_at(body: object, path: str) -> object:
    """`status`, `card.cardType`, `cancels[1].cancelAmount`, or `len(cancels)`."""
    length = _LENGTH.fullmatch(path)
    if length is None:
        return _walk(body, path)
    value = _walk(body, length["path"])
    return len(value) if isinstance(value, list) else _MISSING


def fill(value: object, names: Mapping[str, str]) -> object:
    """`value` with `{paymentKey}`/`{orderId}` replaced in every string it holds."""
    if isinstance(value, str):
        return value.format_map(names)
    if isinstance(value, Mapping):
        return {key: fill(item, names) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True, eq=False)
class ContractCase:
    """One request and the answer Toss documents for it.

    An error case names its `code` (`also_documented` lists other codes the docs give for
    the same request where they do not say which one comes); a success case lists key
    `fields` of the Payment object by path (see `value_at`): a value, `PRESENT` for "not
    null", or a pattern the text must match.
    """

    id: str
    source: str
    given: Given
    method: str
    path: str
    status: int
    body: Mapping[str, object] | None = None
    auth: Auth = Auth.SECRET_KEY
    headers: tuple[tuple[str, str], ...] = ()
    code: str | None = None
    also_documented: tuple[str, ...] = ()
    fields: Mapping[str, object] = field(default_factory=dict)
    message_language: Language | None = None
    doubt: str = ""

    def __post_init__(self) -> None:
        if (self.status == 200) != (self.code is None):
            raise ValueError(f"{self.id}: a code goes with an error status and only there")

    @property
    def is_cancel(self) -> bool:
        return self.method == "POST" and self.path.endswith("/cancel")

    def differences(self, status: int, body: object, names: Mapping[str, str]) -> list[str]:
        """What in the answer (status, JSON body) differs from the documented one."""
        found: list[str] = []
        if status != self.status:
            found.append(f"HTTP status {status}, documented {self.status}")
        if not isinstance(body, dict):
            return [*found, f"body is not a JSON object: {body!r}"]
        if self.code is not None:
            found.extend(self._error_differences(body))
        for path, expected in self.fields.items():
            actual = value_at(body, path)
            wanted = fill(expected, names)
            if actual is _MISSING:
                found.append(f"{path} is missing, documented {wanted!r}")
            elif wanted is PRESENT:
                if actual is None:
                    found.append(f"{path} is null")
            elif isinstance(wanted, re.Pattern):
                if not isinstance(actual, str) or wanted.fullmatch(actual) is None:
                    found.append(f"{path} is {actual!r}, documented as {wanted.pattern}")
            elif actual != wanted:
                found.append(f"{path} is {actual!r}, documented {wanted!r}")
        return found

    def _error_differences(self, body: dict[str, object]) -> list[str]:
        found: list[str] = []
        codes = (self.code, *self.also_documented)
        if body.get("code") not in codes:
            found.append(f"code {body.get('code')!r}, documented {' or '.join(map(str, codes))}")
        message = body.get("message")
        if not isinstance(message, str) or not message:
            return [*found, f"message {message!r} is not a non-empty string"]
        korean = _HANGUL.search(message) is not None
        if self.message_language is Language.KO and not korean:
            found.append(f"message {message!r} is not Korean")
        if self.message_language is Language.EN and korean:
            found.append(f"message {message!r} is not English")
        return found
