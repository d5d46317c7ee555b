"""A stored payment as Toss's Payment object, API version 2022-11-16 (toss-api.md §3)."""

from __future__ import annotations

from typing import Any, Final

from toss_graphql.sandbox.errors import error_spec
from toss_graphql.sandbox.i18n import Language
from toss_graphql.sandbox.kst import isoformat_kst
from toss_graphql.sandbox.payment_store import Cancel, Payment
from toss_graphql.sandbox.status import APPROVED

API_VERSION: Final = "2022-11-16"
MERCHANT_ID: Final = "tosspayments"

# Toss translates its own enum-like values under `Accept-Language: en-US`, never the
# merchant's (orderName stays as sent).
_CARD_METHOD: Final = {Language.KO: "카드", Language.EN: "CARD"}
_CREDIT: Final = {Language.KO: "신용", Language.EN: "CREDIT"}
_PERSONAL: Final = {Language.KO: "개인", Language.EN: "PERSONAL"}


def vat_of(amount: int, tax_free_amount: int = 0) -> int:
    """round((amount - taxFree) / 11), half up, in integers (10000 with 3000 tax-free: 636)."""
    return ((amount - tax_free_amount) * 2 + 11) // 22


def _card(payment: Payment, language: Language) -> dict[str, Any]:
    return {
        "amount": payment.total_amount,
        "issuerCode": payment.card_issuer_code,
        "acquirerCode": payment.card_acquirer_code,
        "number": payment.card_number,
        "installmentPlanMonths": 0,
        # The card company gives the approval number on approval; zeros until then.
        "approveNo": payment.card_approve_no or "00000000",
        "useCardPoint": False,
        "cardType": _CREDIT[language],
        "ownerType": _PERSONAL[language],
        "acquireStatus": "READY",
        "isInterestFree": False,
        "interestPayer": None,
    }


def _failure(payment: Payment, language: Language) -> dict[str, str] | None:
    if payment.failure_code is None:
        return None
    return {
        "code": payment.failure_code,
        "message": error_spec(payment.failure_code).message(language),
    }


def _receipt(payment: Payment, base_url: str) -> dict[str, str] | None:
    if payment.status not in APPROVED:
        return None
    return {"url": f"{base_url}/receipt/{payment.payment_key}"}


def _cancel(cancel: Cancel) -> dict[str, Any]:
    # Card cancels settle at once (DONE) and carry no discount; cancelRequestId is only
    # for asynchronous (foreign easy-pay) cancels (toss-api.md §3.1).
    return {
        "transactionKey": cancel.transaction_key,
        "cancelReason": cancel.cancel_reason,
        "taxExemptionAmount": 0,
        "canceledAt": isoformat_kst(cancel.canceled_at),
        "transferDiscountAmount": 0,
        "easyPayDiscountAmount": 0,
        "receiptKey": cancel.receipt_key,
        "cancelAmount": cancel.cancel_amount,
        "taxFreeAmount": cancel.tax_free_amount,
        "refundableAmount": cancel.refundable_amount,
        "cardDiscountAmount": 0,
        "cancelStatus": "DONE",
        "cancelRequestId": None,
    }


def render_payment(payment: Payment, *, language: Language, base_url: str) -> dict[str, Any]:
    """The Payment object, fields in the order Toss sends them."""
    # Toss recomputes the supply value and VAT on what is left after cancels.
    tax_free_amount = payment.tax_free_amount
    vat = vat_of(payment.balance_amount, tax_free_amount)
    return {
        "mId": MERCHANT_ID,
        "lastTransactionKey": payment.last_transaction_key,
        "paymentKey": payment.payment_key,
        "orderId": payment.order_id,
        "orderName": payment.order_name,
        "taxExemptionAmount": 0,
        "status": payment.status.value,
        "requestedAt": isoformat_kst(payment.requested_at),
        "approvedAt": None if payment.approved_at is None else isoformat_kst(payment.approved_at),
        "useEscrow": False,
        "cultureExpense": False,
        "card": _card(payment, language),
        "virtualAccount": None,
        "transfer": None,
        "mobilePhone": None,
        "giftCertificate": None,
        "cashReceipt": None,
        "cashReceipts": None,
        "discount": None,
        # null, not [], on a payment never canceled.
        "cancels": [_cancel(cancel) for cancel in payment.cancels] or None,
        "secret": None,
        "type": "NORMAL",
        "easyPay": None,
        "country": "KR",
        "failure": _failure(payment, language),
        "isPartialCancelable": True,
        "receipt": _receipt(payment, base_url),
        "checkout": {"url": f"{base_url}/v1/payments/{payment.payment_key}/checkout"},
        "currency": "KRW",
        "totalAmount": payment.total_amount,
        "balanceAmount": payment.balance_amount,
        "suppliedAmount": payment.balance_amount - tax_free_amount - vat,
        "vat": vat,
        "taxFreeAmount": tax_free_amount,
        "metadata": None,
        "method": _CARD_METHOD[language],
        "version": API_VERSION,
    }
