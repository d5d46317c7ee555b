"""Bounds on every argument, checked in one place (Toss's limits where Toss has one)."""

from __future__ import annotations

import re
import unicodedata

from .errors import invalid_input
from .institutions import is_bank_code
from .ports.gateway import RefundAccount

# Toss: orderId is 6-64 characters of letters, digits, '-' and '_' (toss-api.md §7).
ORDER_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{6,64}")
# Toss's card minimum is 100 KRW (BELOW_MINIMUM_AMOUNT); the maximum is this service's own cap.
MIN_AMOUNT = 100
MAX_AMOUNT = 100_000_000
MAX_ORDER_NAME = 100
MAX_PAYMENT_KEY = 200
MAX_BUYER = 128
SKU_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_LINES = 50
MAX_QUANTITY = 1000
FAILURE_CODE_PATTERN = re.compile(r"[A-Za-z0-9_]{1,100}")
# Toss's `failure.message` is at most 510 characters.
MAX_FAILURE_MESSAGE = 510
MAX_PAGE_SIZE = 100
# Toss: cancelReason is at most 200 characters; an Idempotency-Key at most 300.
MAX_CANCEL_REASON = 200
MAX_IDEMPOTENCY_KEY = 300
# Toss: a refund account's number is digits only, at most 20; its holder at most 60 characters
# (toss-api.md §2.4).
REFUND_ACCOUNT_NUMBER = re.compile(r"[0-9]{1,20}")
MAX_REFUND_HOLDER_NAME = 60


# What a person can type into a one-line field: no control characters (NUL is refused by
# PostgreSQL's text and JSONB, and would otherwise be stored on SQLite and sent to Toss) and
# no lone surrogates (not text at all: they cannot be encoded, stored or answered).
_NOT_TYPED = frozenset({"Cc", "Cs"})
# A multi-line field (a reason, a message) may hold the whitespace of a pasted paragraph.
_TYPED_WHITESPACE = frozenset("\t\n\r")
# Zero-width spaces and joiners, bidi controls, soft hyphens: invisible, so a name holding one
# looks like a name without it.
_FORMAT = "Cf"


def _typed_text(value: str, field: str, *, multiline: bool = False) -> str:
    allowed = _TYPED_WHITESPACE if multiline else frozenset()
    if any(
        unicodedata.category(character) in _NOT_TYPED and character not in allowed
        for character in value
    ):
        raise invalid_input(field, f"{field} must not contain control characters")
    return value


def order_id(value: str, field: str = "orderId") -> str:
    if not ORDER_ID_PATTERN.fullmatch(value):
        raise invalid_input(field, "orderId must be 6 to 64 characters of A-Z, a-z, 0-9, '-', '_'")
    return value


def amount(value: int, field: str = "amount") -> int:
    if not MIN_AMOUNT <= value <= MAX_AMOUNT:
        raise invalid_input(field, f"amount must be between {MIN_AMOUNT} and {MAX_AMOUNT} KRW")
    return value


def order_name(value: str, field: str = "orderName") -> str:
    """The name in NFC, the form it is stored and looked up in: a name typed composed and
    one typed decomposed are one name, and an invisible character cannot make two names of
    one (docs/security.md, "An order name that hides its likeness")."""
    stripped = _typed_text(value, field).strip()
    if any(unicodedata.category(character) == _FORMAT for character in stripped):
        raise invalid_input(
            field, f"{field} must not contain invisible format characters (zero-width, bidi)"
        )
    name = nfc(stripped)
    if not 1 <= len(name) <= MAX_ORDER_NAME:
        raise invalid_input(field, f"orderName must be 1 to {MAX_ORDER_NAME} characters")
    return name


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def name_likeness(name: str) -> str:
    """What a name looks like: NFC, its format characters dropped. Two names stored before
    names were kept in NFC are alike when these are equal."""
    return "".join(c for c in nfc(name) if unicodedata.category(c) != _FORMAT)


def payment_key(value: str, field: str = "paymentKey") -> str:
    _typed_text(value, field)
    if not value or len(value) > MAX_PAYMENT_KEY or value != value.strip():
        raise invalid_input(field, f"paymentKey must be 1 to {MAX_PAYMENT_KEY} characters")
    return value


def buyer(value: str, field: str = "buyer") -> str:
    _typed_text(value, field)
    if not value or len(value) > MAX_BUYER or value != value.strip():
        raise invalid_input(field, f"buyer must be 1 to {MAX_BUYER} characters")
    return value


def sku(value: str, field: str) -> str:
    if not SKU_PATTERN.fullmatch(value):
        raise invalid_input(field, "sku must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '-', '_'")
    return value


def quantity(value: int, field: str) -> int:
    if not 1 <= value <= MAX_QUANTITY:
        raise invalid_input(field, f"quantity must be between 1 and {MAX_QUANTITY}")
    return value


def failure_code(value: str, field: str = "code") -> str:
    if not FAILURE_CODE_PATTERN.fullmatch(value):
        raise invalid_input(field, "code must be 1 to 100 characters of A-Z, a-z, 0-9, '_'")
    return value


def failure_message(value: str | None, field: str = "message") -> str:
    text = _typed_text(value or "", field, multiline=True).strip()
    if len(text) > MAX_FAILURE_MESSAGE:
        raise invalid_input(field, f"message must be at most {MAX_FAILURE_MESSAGE} characters")
    return text


def page_size(value: int | None, field: str = "first") -> int:
    if value is None:
        return 20
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise invalid_input(field, f"first must be between 1 and {MAX_PAGE_SIZE}")
    return value


def cancel_reason(value: str, field: str = "reason") -> str:
    stripped = _typed_text(value, field, multiline=True).strip()
    if not 1 <= len(stripped) <= MAX_CANCEL_REASON:
        raise invalid_input(field, f"reason must be 1 to {MAX_CANCEL_REASON} characters")
    return stripped


def cancel_amount(value: int | None, field: str = "amount") -> int | None:
    if value is not None and not 1 <= value <= MAX_AMOUNT:
        raise invalid_input(field, f"amount must be between 1 and {MAX_AMOUNT} KRW")
    return value


def idempotency_key(value: str | None, field: str = "idempotencyKey") -> str | None:
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_IDEMPOTENCY_KEY or not value.isprintable():
        raise invalid_input(
            field, f"idempotencyKey must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters"
        )
    return value


def refund_account(
    bank: str, account_number: str, holder_name: str, field: str = "refundReceiveAccount"
) -> RefundAccount:
    """A refund account as Toss takes it; refused here, before Toss is asked."""
    if not is_bank_code(bank):
        raise invalid_input(f"{field}.bank", "bank must be one of Toss's bank codes, e.g. 88")
    number = account_number.replace("-", "")
    if not REFUND_ACCOUNT_NUMBER.fullmatch(number):
        raise invalid_input(
            f"{field}.accountNumber", "accountNumber must be 1 to 20 digits (dashes are dropped)"
        )
    holder = _typed_text(holder_name, f"{field}.holderName").strip()
    if not holder or len(holder) > MAX_REFUND_HOLDER_NAME:
        raise invalid_input(
            f"{field}.holderName", f"holderName must be 1 to {MAX_REFUND_HOLDER_NAME} characters"
        )
    return RefundAccount(bank=bank, account_number=number, holder_name=holder)
