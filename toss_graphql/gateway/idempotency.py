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

# Toss rejects longer keys with 400 INVALID_IDEMPOTENCY_KEY (toss-api.md §5).
MAX_IDEMPOTENCY_KEY_LENGTH = 300


def confirm_idempotency_key(order_id: str, payment_key: str, amount: int) -> str:
    """The `Idempotency-Key` of `POST /v1/payments/confirm` for this checkout.

    The fields are hashed as a JSON array, whose string quoting keeps ("ab", "c") and
    ("a", "bc") apart; the result is 72 ASCII characters.
    """
    canonical = json.dumps(
        [order_id, payment_key, amount], ensure_ascii=False, separators=(",", ":")
    )
    return "confirm-" + hashlib.sha256(canonical.encode()).hexdigest()
