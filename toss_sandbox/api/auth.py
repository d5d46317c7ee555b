"""Toss's API authentication: `Authorization: Basic base64(secretKey + ":")` (toss-api.md §1)."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable

from toss_sandbox.vocabulary.errors import TossApiError


def authenticate(authorization: str | None, secret_keys: Iterable[str]) -> str:
    """The one of the sandbox's secret keys the header carries (its API key or its widget
    key); raise the error Toss gives for anything else.

    The password part is not checked: Toss documents it as empty and the key alone
    identifies the merchant.
    """
    if not authorization:
        raise TossApiError("UNAUTHORIZED_KEY")
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise TossApiError("UNAUTHORIZED_KEY")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TossApiError("UNAUTHORIZED_KEY") from None
    if ":" not in decoded:
        # Toss's most common integration mistake: the key encoded without its colon.
        raise TossApiError("INCORRECT_BASIC_AUTH_FORMAT")
    key = decoded.partition(":")[0].encode()
    for secret_key in secret_keys:
        if hmac.compare_digest(key, secret_key.encode()):
            return secret_key
    raise TossApiError("UNAUTHORIZED_KEY")
