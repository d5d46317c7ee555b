"""The random identifiers the sandbox hands out, shaped like Toss's own."""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Final

from toss_sandbox.kst import KST

_ALPHANUMERIC: Final = string.ascii_letters + string.digits


def random_text(length: int, alphabet: str = _ALPHANUMERIC) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_payment_key(now: datetime) -> str:
    # Shaped like Toss's test keys (`tgen_20250719214924SBTo2`), with enough randomness
    # (24 alphanumerics, ~143 bits) that a key cannot be guessed.
    return f"tgen_{now.astimezone(KST):%Y%m%d%H%M%S}{random_text(24)}"


def new_transaction_key() -> str:
    """An approval's or a cancel's key: 32 uppercase hex digits, as Toss has long sent them."""
    return secrets.token_hex(16).upper()


def new_receipt_key() -> str:
    return random_text(48)


def new_secret() -> str:
    """A payment's webhook secret, shaped like Toss's `ps_eqRGgYO1r57E4Z541ZMW3QnN2Eya`."""
    return f"ps_{random_text(28)}"


def new_virtual_account_number() -> str:
    """A test account number: Toss's start with `X` and cannot receive money (toss-api.md §9)."""
    return f"X{random_text(13, string.digits)}"


def new_transmission_id() -> str:
    """A webhook's id, shaped like Toss's `whtrans_a01j70335nkqqeg0zwzz2r4py9z`."""
    return f"whtrans_{random_text(27, string.ascii_lowercase + string.digits)}"
