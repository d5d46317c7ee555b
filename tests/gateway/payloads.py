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
CANCEL_PATH = f"/v1/payments/{PAYMENT_KEY}/cancel"
CANCEL_REASON = "고객 변심"


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


def easy_pay_payment_json(
    *, payment_key: str = PAYMENT_KEY, order_id: str = ORDER_ID, amount: int = AMOUNT
) -> dict[str, Any]:
    """The same payment paid with 토스페이 from its balance, not by card: `easyPay` is set and
    `card` is null (toss-api.md §3)."""
    body = payment_json(payment_key=payment_key, order_id=order_id, amount=amount)
    body.update(
        method="간편결제",
        card=None,
        easyPay={"provider": "토스페이", "amount": amount, "discountAmount": 0},
    )
    return body


def transfer_payment_json(
    *, payment_key: str = PAYMENT_KEY, order_id: str = ORDER_ID, amount: int = AMOUNT
) -> dict[str, Any]:
    """The same payment made by bank transfer from 신한 (toss-api.md §3)."""
    body = payment_json(payment_key=payment_key, order_id=order_id, amount=amount)
    body.update(
        method="계좌이체",
        card=None,
        transfer={"bankCode": "88", "settlementStatus": "INCOMPLETED"},
    )
    return body


def mobile_phone_payment_json(
    *, payment_key: str = PAYMENT_KEY, order_id: str = ORDER_ID, amount: int = AMOUNT
) -> dict[str, Any]:
    """The same payment charged to a mobile phone: Toss gives the number unmasked
    (toss-api.md §3)."""
    body = payment_json(payment_key=payment_key, order_id=order_id, amount=amount)
    body.update(
        method="휴대폰",
        card=None,
        mobilePhone={
            "customerMobilePhone": "01012345678",
            "settlementStatus": "INCOMPLETED",
            "receiptUrl": "https://dashboard.tosspayments.com/sales-slip"
            "?transactionId=KAgfjGxIqVVXDxOiSW1wUnRWBS1dszn3DKcuhpm7mQlKP0cOtp8&ref=PX",
        },
    )
    return body


def canceled_payment_json() -> dict[str, Any]:
    """The same payment after a full cancel, as the cancel and later reads return it."""
    body = payment_json()
    body.update(
        status="CANCELED",
        balanceAmount=0,
        suppliedAmount=0,
        vat=0,
        isPartialCancelable=False,
        lastTransactionKey="B7103F204998813B889C77C043D09502",
        cancels=[
            _cancel_entry(
                cancel_amount=AMOUNT,
                refundable_amount=0,
                canceled_at="2024-02-13T12:20:23+09:00",
                transaction_key="B7103F204998813B889C77C043D09502",
                cancel_reason=CANCEL_REASON,
            )
        ],
    )
    return body


def partially_canceled_payment_json() -> dict[str, Any]:
    """The same payment after two partial cancels, 3,000 and then 2,000 KRW, as the second
    `POST /v1/payments/{paymentKey}/cancel` returns it."""
    body = payment_json()
    body.update(
        status="PARTIAL_CANCELED",
        balanceAmount=5000,
        suppliedAmount=4545,
        vat=455,
        lastTransactionKey="txrd_a01kaj0b4c7e9f2g3h5j6k8m9n0",
        cancels=[
            _cancel_entry(
                cancel_amount=3000,
                refundable_amount=7000,
                canceled_at="2024-02-13T13:02:45+09:00",
                transaction_key="8A5C7E9B1D3F4A6C8E0B2D4F6A8C0E2B",
                cancel_reason="사이즈 교환 불가 1건",
            ),
            _cancel_entry(
                cancel_amount=2000,
                refundable_amount=5000,
                canceled_at="2024-02-14T09:15:03+09:00",
                transaction_key="txrd_a01kaj0b4c7e9f2g3h5j6k8m9n0",
                cancel_reason=CANCEL_REASON,
            ),
        ],
    )
    return body


def _cancel_entry(
    *,
    cancel_amount: int,
    refundable_amount: int,
    canceled_at: str,
    transaction_key: str,
    cancel_reason: str,
) -> dict[str, Any]:
    """One `cancels[]` entry with every field Toss sends (toss-api.md §3.1)."""
    return {
        "transactionKey": transaction_key,
        "cancelReason": cancel_reason,
        "taxExemptionAmount": 0,
        "canceledAt": canceled_at,
        "cardDiscountAmount": 0,
        "transferDiscountAmount": 0,
        "easyPayDiscountAmount": 0,
        "receiptKey": None,
        "cancelAmount": cancel_amount,
        "taxFreeAmount": 0,
        "refundableAmount": refundable_amount,
        "cancelStatus": "DONE",
        "cancelRequestId": None,
    }


def toss_error(code: str, message: str) -> dict[str, str]:
    """The `{code, message}` body of every v1 failure (toss-api.md §4.1)."""
    return {"code": code, "message": message}
