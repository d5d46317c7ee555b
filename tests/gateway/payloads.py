"""Toss reply bodies shaped like the real ones (toss-api.md §3, §4.1)."""

from __future__ import annotations

from typing import Any

BASE_URL = "https://api.tosspayments.com"
# The public documentation test key (toss-api.md §1): long and distinctive, so a leak is easy
# to spot in a message or a log line.
SECRET_KEY = "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R"

PAYMENT_KEY = "5zJ4xY7m0kODnyRpQWGrN2xqGlNvLrKwv1M9ENjbeoPaZdL6"
ORDER_ID = "order_20240213_0001"
AMOUNT = 10000
CONFIRM_PATH = "/v1/payments/confirm"


def payment_json(
    *,
    payment_key: str = PAYMENT_KEY,
    order_id: str = ORDER_ID,
    amount: float = AMOUNT,
) -> dict[str, Any]:
    """A DONE card payment as `POST /v1/payments/confirm` returns it, all fields present."""
    return {
        "mId": "tosspayments",
        "lastTransactionKey": "9C62B18EEF0DE3EB7F4422EB6D14BC6E",
        "paymentKey": payment_key,
        "orderId": order_id,
        "orderName": "토스 티셔츠 외 2건",
        "taxExemptionAmount": 0,
        "status": "DONE",
        "requestedAt": "2024-02-13T12:17:57+09:00",
        "approvedAt": "2024-02-13T12:18:14+09:00",
        "useEscrow": False,
        "cultureExpense": False,
        "card": {
            "issuerCode": "71",
            "acquirerCode": "71",
            "number": "12345678****000*",
            "installmentPlanMonths": 0,
            "isInterestFree": False,
            "interestPayer": None,
            "approveNo": "00000000",
            "useCardPoint": False,
            "cardType": "신용",
            "ownerType": "개인",
            "acquireStatus": "READY",
            "amount": amount,
        },
        "virtualAccount": None,
        "transfer": None,
        "mobilePhone": None,
        "giftCertificate": None,
        "cashReceipt": None,
        "cashReceipts": None,
        "discount": None,
        "cancels": None,
        "secret": None,
        "type": "NORMAL",
        "easyPay": None,
        "country": "KR",
        "failure": None,
        "isPartialCancelable": True,
        "receipt": {
            "url": "https://dashboard.tosspayments.com/receipt/redirection"
            "?transactionId=tviva20240213121757MvuS8&ref=PX"
        },
        "checkout": {"url": f"https://api.tosspayments.com/v1/payments/{payment_key}/checkout"},
        "currency": "KRW",
        "totalAmount": amount,
        "balanceAmount": amount,
        "suppliedAmount": 9091,
        "vat": 909,
        "taxFreeAmount": 0,
        "metadata": None,
        "method": "카드",
        "version": "2022-11-16",
    }


def canceled_payment_json() -> dict[str, Any]:
    """The same payment after a full cancel, as `GET /v1/payments/{paymentKey}` returns it."""
    body = payment_json()
    body.update(
        status="CANCELED",
        balanceAmount=0,
        isPartialCancelable=False,
        lastTransactionKey="B7103F204998813B889C77C043D09502",
        cancels=[
            {
                "cancelAmount": AMOUNT,
                "cancelReason": "고객 변심",
                "taxFreeAmount": 0,
                "taxExemptionAmount": 0,
                "refundableAmount": 0,
                "cardDiscountAmount": 0,
                "transferDiscountAmount": 0,
                "easyPayDiscountAmount": 0,
                "canceledAt": "2024-02-13T12:20:23+09:00",
                "transactionKey": "B7103F204998813B889C77C043D09502",
                "receiptKey": None,
                "cancelStatus": "DONE",
                "cancelRequestId": None,
            }
        ],
    )
    return body


def toss_error(code: str, message: str) -> dict[str, str]:
    """The `{code, message}` body of every v1 failure (toss-api.md §4.1)."""
    return {"code": code, "message": message}
