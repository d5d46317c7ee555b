"""A stored payment as Toss's Payment object, API version 2022-11-16 (toss-api.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from toss_sandbox.i18n import Language
from toss_sandbox.kst import isoformat_kst, local_kst
from toss_sandbox.lifecycle.refunds import refund_status
from toss_sandbox.storage.payment_store import Cancel, Card, Payment, VirtualAccount
from toss_sandbox.vocabulary.errors import error_spec
from toss_sandbox.vocabulary.methods import METHOD_NAMES, PROVIDER_NAMES, EasyPayProvider
from toss_sandbox.vocabulary.status import PaymentStatus

API_VERSION: Final = "2022-11-16"
MERCHANT_ID: Final = "tosspayments"

# Toss translates its own enum-like values under `Accept-Language: en-US`, never the
# merchant's (orderName stays as sent).
_METHOD: Final = {
    method: {Language.KO: name, Language.EN: method.value} for method, name in METHOD_NAMES.items()
}
_CREDIT: Final = {Language.KO: "신용", Language.EN: "CREDIT"}
_PERSONAL: Final = {Language.KO: "개인", Language.EN: "PERSONAL"}
_NORMAL_ACCOUNT: Final = {Language.KO: "일반", Language.EN: "NORMAL"}


def vat_of(amount: int, tax_free_amount: int = 0) -> int:
    """round((amount - taxFree) / 11), half up, in integers (10000 with 3000 tax-free: 636)."""
    return ((amount - tax_free_amount) * 2 + 11) // 22


def _card(payment: Payment, card: Card, language: Language) -> dict[str, Any]:
    return {
        "amount": payment.total_amount,
        "issuerCode": card.issuer_code,
        "acquirerCode": card.acquirer_code,
        "number": card.number,
        "installmentPlanMonths": 0,
        # The card company gives the approval number on approval; zeros until then.
        "approveNo": card.approve_no or "00000000",
        "useCardPoint": False,
        "cardType": _CREDIT[language],
        "ownerType": _PERSONAL[language],
        "acquireStatus": "READY",
        "isInterestFree": False,
        "interestPayer": None,
    }


def _virtual_account(
    payment: Payment, account: VirtualAccount, language: Language, now: datetime
) -> dict[str, Any]:
    waiting = payment.status is PaymentStatus.WAITING_FOR_DEPOSIT
    return {
        "accountType": _NORMAL_ACCOUNT[language],
        "accountNumber": account.account_number,
        "bankCode": account.bank_code,
        "customerName": payment.customer_name,
        "depositorName": payment.customer_name,
        "dueDate": local_kst(account.due_date),
        "refundStatus": refund_status(payment, now).value,
        # Past its due date an unpaid account takes no deposit; its status stays (toss-api.md §3.2).
        "expired": waiting and now > account.due_date,
        "settlementStatus": _settlement_status(payment),
        # Not the account a cancel refunds to: Toss fills this with the one a buyer typed into
        # the payment widget's refund form, for 30 minutes (toss-api.md §3.2), and the
        # sandbox's widget has no such form.
        "refundReceiveAccount": None,
    }


def _settlement_status(payment: Payment) -> str:
    return "INCOMPLETED" if payment.approved_at is None else "COMPLETED"


def _easy_pay(payment: Payment, provider: EasyPayProvider, language: Language) -> dict[str, Any]:
    # `amount` is what the provider's own balance or linked account paid, `discountAmount`
    # its points and coupons (toss-api.md §3): the sandbox's buyer pays it all from the
    # balance, with no discount, so no `card` comes with it. The provider's name in English
    # is its code (derived: Toss translates its own values under en-US).
    return {
        "provider": PROVIDER_NAMES[provider] if language is Language.KO else provider.value,
        "amount": payment.total_amount,
        "discountAmount": 0,
    }


def _transfer(payment: Payment, bank_code: str) -> dict[str, Any]:
    return {"bankCode": bank_code, "settlementStatus": _settlement_status(payment)}


def _mobile_phone(payment: Payment, phone: str, base_url: str) -> dict[str, Any]:
    return {
        "customerMobilePhone": phone,
        "settlementStatus": _settlement_status(payment),
        "receiptUrl": _receipt_url(payment, base_url),
    }


def _failure(payment: Payment, language: Language) -> dict[str, str] | None:
    if payment.failure_code is None:
        return None
    return {
        "code": payment.failure_code,
        "message": error_spec(payment.failure_code).message(language),
    }


def _receipt_url(payment: Payment, base_url: str) -> str | None:
    if payment.approved_at is None:
        return None
    return f"{base_url}/receipt/{payment.payment_key}"


def _receipt(payment: Payment, base_url: str) -> dict[str, str] | None:
    url = _receipt_url(payment, base_url)
    return None if url is None else {"url": url}


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


def render_payment(
    payment: Payment, *, language: Language, base_url: str, now: datetime
) -> dict[str, Any]:
    """The Payment object as of `now`, fields in the order Toss sends them."""
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
        "card": None if payment.card is None else _card(payment, payment.card, language),
        "virtualAccount": (
            None
            if payment.virtual_account is None
            else _virtual_account(payment, payment.virtual_account, language, now)
        ),
        "transfer": (
            None
            if payment.transfer_bank_code is None
            else _transfer(payment, payment.transfer_bank_code)
        ),
        "mobilePhone": (
            None
            if payment.customer_mobile_phone is None
            else _mobile_phone(payment, payment.customer_mobile_phone, base_url)
        ),
        "giftCertificate": None,
        "cashReceipt": None,
        "cashReceipts": None,
        "discount": None,
        # null, not [], on a payment never canceled.
        "cancels": [_cancel(cancel) for cancel in payment.cancels] or None,
        "secret": payment.secret,
        "type": "NORMAL",
        "easyPay": (
            None
            if payment.easy_pay_provider is None
            else _easy_pay(payment, payment.easy_pay_provider, language)
        ),
        "country": "KR",
        "failure": _failure(payment, language),
        # Before its deposit a virtual account may only be canceled whole (toss-api.md §2.4).
        "isPartialCancelable": payment.status is not PaymentStatus.WAITING_FOR_DEPOSIT,
        "receipt": _receipt(payment, base_url),
        "checkout": {"url": f"{base_url}/v1/payments/{payment.payment_key}/checkout"},
        "currency": "KRW",
        "totalAmount": payment.total_amount,
        "balanceAmount": payment.balance_amount,
        "suppliedAmount": payment.balance_amount - tax_free_amount - vat,
        "vat": vat,
        "taxFreeAmount": tax_free_amount,
        "metadata": None,
        "method": None if payment.method is None else _METHOD[payment.method][language],
        "version": API_VERSION,
    }
