"""The refund account of a cancel: `refundReceiveAccount: {bank, accountNumber, holderName}`,
which Toss requires to cancel a virtual account that was paid into and reads for nothing else
(toss-api.md §2.4). A card, a transfer or an easy pay is refunded the way it was paid, and an
account still waiting for its deposit has no money to send back, so for those the field is
ignored, whatever it holds.

Toss's codes for a bad account (toss-api.md §4.4): a bank that is not one of its bank codes is
INVALID_BANK, an account number that is not 1 to 20 digits is INVALID_REFUND_ACCOUNT_NUMBER.
A missing or ill-typed field, or a holder name that is blank or over 60 characters, has no
code of its own and is INVALID_REQUEST, as any other malformed field. Toss also checks with
the bank that the holder owns the account (INVALID_REFUND_ACCOUNT_INFO); the sandbox knows no
real owners, so only `TossPayments-Test-Code: INVALID_REFUND_ACCOUNT_INFO` answers that.
"""

from __future__ import annotations

from typing import Final

from toss_sandbox.storage.payment_store import Payment, RefundAccount
from toss_sandbox.vocabulary.banks import BANK_NAMES
from toss_sandbox.vocabulary.errors import TossApiError, invalid_request
from toss_sandbox.vocabulary.status import PaymentMethod, PaymentStatus

_FIELD: Final = "refundReceiveAccount"
_MAX_ACCOUNT_NUMBER_LENGTH: Final = 20
_MAX_HOLDER_NAME_LENGTH: Final = 60
# A virtual account in one of these has been paid into and has money left to refund.
_DEPOSITED: Final = frozenset({PaymentStatus.DONE, PaymentStatus.PARTIAL_CANCELED})


def needs_refund_account(payment: Payment) -> bool:
    return payment.method is PaymentMethod.VIRTUAL_ACCOUNT and payment.status in _DEPOSITED


def _text(account: dict[str, object], name: str) -> str:
    value = account.get(name)
    if not isinstance(value, str):
        raise invalid_request(f"{_FIELD}.{name}", "필수 문자열입니다.", "is a required string.")
    return value


def _parse(raw: object) -> RefundAccount:
    if raw is None:
        raise invalid_request(
            _FIELD,
            "입금된 가상계좌 결제를 취소하려면 필수입니다.",
            "is required to cancel a virtual account that was paid into.",
        )
    if not isinstance(raw, dict):
        raise invalid_request(_FIELD, "객체여야 합니다.", "must be an object.")
    bank = _text(raw, "bank")
    account_number = _text(raw, "accountNumber")
    holder_name = _text(raw, "holderName")
    # A code, as the reference defines `bank`; Toss documents no Korean bank name here, so
    # `신한` is refused like any unknown code.
    if bank not in BANK_NAMES:
        raise TossApiError("INVALID_BANK")
    # Digits only, without `-`, at most 20.
    if (
        not (account_number.isascii() and account_number.isdigit())
        or len(account_number) > _MAX_ACCOUNT_NUMBER_LENGTH
    ):
        raise TossApiError("INVALID_REFUND_ACCOUNT_NUMBER")
    if not holder_name.strip() or len(holder_name) > _MAX_HOLDER_NAME_LENGTH:
        raise invalid_request(
            f"{_FIELD}.holderName",
            "1자 이상 60자 이하여야 합니다.",
            "must be 1 to 60 characters.",
        )
    return RefundAccount(bank_code=bank, account_number=account_number, holder_name=holder_name)


def refund_account_for(payment: Payment, raw: object) -> RefundAccount | None:
    """The account a cancel of `payment` refunds to, from the body's `refundReceiveAccount`
    (`raw`, as sent); None when Toss reads no account for this payment. Raises Toss's
    refusal."""
    if not needs_refund_account(payment):
        return None
    return _parse(raw)
