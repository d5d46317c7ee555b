"""Idempotency keys for calls that move money.

Toss runs a POST at most once per (Idempotency-Key, API key, URL, method) for 15 days and
answers a repeat with the first response, or 409 IDEMPOTENT_REQUEST_PROCESSING while the first
is still running (toss-api.md §5). Deriving the key from the request, instead of drawing a
random one, means every retry, including one made by another process after a crash, lands on
the same key, so one checkout is never approved twice.
"""

from __future__ import annotations

import hashlib
import json
import re

# Toss rejects longer keys with 400 INVALID_IDEMPOTENCY_KEY (toss-api.md §5).
MAX_IDEMPOTENCY_KEY_LENGTH = 300

# Visible ASCII only: httpx cannot encode anything else into a header, a CR or LF would split
# it, and spaces are left out because servers trim surrounding ones, silently making another key.
_IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}")


def confirm_idempotency_key(order_id: str, payment_key: str, amount: int) -> str:
    """The `Idempotency-Key` of `POST /v1/payments/confirm` for this checkout.

    The fields are hashed as a JSON array, whose string quoting keeps ("ab", "c") and
    ("a", "bc") apart; the result is 72 ASCII characters.
    """
    return "confirm-" + _digest(order_id, payment_key, amount)


def require_valid_idempotency_key(key: str) -> None:
    """Raise `ValueError` unless Toss would accept `key` as sent: 1-300 visible ASCII characters.

    The message gives the length only, not the key.
    """
    if _IDEMPOTENCY_KEY.fullmatch(key) is None:
        raise ValueError(
            f"an Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII"
            f" characters; got {len(key)} character(s)"
        )


def _digest(*fields: str | int) -> str:
    canonical = json.dumps(list(fields), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
