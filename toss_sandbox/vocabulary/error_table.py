"""Toss error codes the sandbox speaks: HTTP status and messages, in one table.

Statuses follow Toss's per-API error tables (see toss-api.md §4); where sources disagree
the official table wins (`INCORRECT_BASIC_AUTH_FORMAT` is 403, not 400).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from toss_sandbox.i18n import Language


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    http_status: int
    message_ko: str
    message_en: str

    def message(self, language: Language) -> str:
        return self.message_en if language is Language.EN else self.message_ko


_TEMPORARY_KO = "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요."
_TEMPORARY_EN = "A temporary error occurred. Please try again later."

ERRORS: Final[Mapping[str, ErrorSpec]] = MappingProxyType(
    {
        # Authentication (every /v1 call).
        "UNAUTHORIZED_KEY": ErrorSpec(
            401,
            "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
            "Unauthorized secret key or client key.",
        ),
        "INCORRECT_BASIC_AUTH_FORMAT": ErrorSpec(
            403,
            "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요.",
            "Incorrect Basic authorization format. Encode the key followed by ':'.",
        ),
        "INVALID_API_KEY": ErrorSpec(
            400, "잘못된 시크릿키 연동 정보 입니다.", "Invalid secret key integration."
        ),
        # Request shape and idempotency.
        "INVALID_REQUEST": ErrorSpec(400, "잘못된 요청입니다.", "The request is invalid."),
        "INVALID_IDEMPOTENCY_KEY": ErrorSpec(
            400,
            "멱등키는 300자 이하여야 합니다.",
            "The idempotency key must be 300 characters or fewer.",
        ),
        "IDEMPOTENT_REQUEST_PROCESSING": ErrorSpec(
            409,
            "이전 멱등 요청이 처리중입니다.",
            "A previous request with this idempotency key is still being processed.",
        ),
        "FORBIDDEN_CONSECUTIVE_REQUEST": ErrorSpec(
            403,
            "반복적인 요청은 허용되지 않습니다. 잠시 후 다시 시도해주세요.",
            "Repeated requests are not allowed. Please try again later.",
        ),
        "FORBIDDEN_REQUEST": ErrorSpec(403, "허용되지 않은 요청입니다.", "Forbidden request."),
        "NOT_FOUND": ErrorSpec(
            404, "존재하지 않는 정보 입니다.", "The requested resource does not exist."
        ),
        # Confirm and lookup.
        "NOT_FOUND_PAYMENT": ErrorSpec(
            404, "존재하지 않는 결제 정보 입니다.", "The payment does not exist."
        ),
        "NOT_FOUND_PAYMENT_SESSION": ErrorSpec(
            404,
            "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
            "Payment session does not exist because the session time has expired.",
        ),
        "ALREADY_PROCESSED_PAYMENT": ErrorSpec(
            400, "이미 처리된 결제 입니다.", "The payment has already been processed."
        ),
        "DUPLICATED_ORDER_ID": ErrorSpec(
            400,
            "이미 승인 및 취소가 진행된 중복된 주문번호 입니다. 다른 주문번호로 진행해주세요.",
            "This order ID has already been approved or canceled. Use a different order ID.",
        ),
        "EXPIRED_PAYMENT": ErrorSpec(
            400,
            "결제가 만료되었습니다. 다시 시도해주세요.",
            "The payment has expired. Please try again.",
        ),
        "PROVIDER_ERROR": ErrorSpec(400, _TEMPORARY_KO, _TEMPORARY_EN),
        "CARD_PROCESSING_ERROR": ErrorSpec(
            400, "카드사에서 오류가 발생했습니다.", "An error occurred at the card company."
        ),
        "INVALID_CARD_EXPIRATION": ErrorSpec(
            400, "카드 정보를 다시 확인해주세요. (유효기간)", "Check the card expiry date."
        ),
        "INVALID_STOPPED_CARD": ErrorSpec(
            400, "정지된 카드 입니다.", "The card has been suspended."
        ),
        "INVALID_REJECT_CARD": ErrorSpec(
            400,
            "카드 사용이 거절되었습니다. 카드사 문의가 필요합니다.",
            "The card was declined. Contact the card company.",
        ),
        "EXCEED_MAX_DAILY_PAYMENT_COUNT": ErrorSpec(
            400,
            "하루 결제 가능 횟수를 초과했습니다.",
            "The daily payment count limit has been exceeded.",
        ),
        "EXCEED_MAX_PAYMENT_AMOUNT": ErrorSpec(
            400,
            "하루 결제 가능 금액을 초과했습니다.",
            "The daily payment amount limit has been exceeded.",
        ),
        "NOT_AVAILABLE_PAYMENT": ErrorSpec(
            400,
            "결제가 불가능한 시간대입니다.",
            "Payments are not available at this time.",
        ),
        "REJECT_CARD_PAYMENT": ErrorSpec(
            403,
            "한도초과 혹은 잔액부족으로 결제에 실패했습니다.",
            "The payment failed because of an exceeded limit or insufficient balance.",
        ),
        "REJECT_CARD_COMPANY": ErrorSpec(
            403, "결제 승인이 거절되었습니다.", "The payment approval was rejected."
        ),
        "REJECT_ACCOUNT_PAYMENT": ErrorSpec(
            403,
            "잔액부족으로 결제에 실패했습니다.",
            "The payment failed because of insufficient balance.",
        ),
        "FDS_ERROR": ErrorSpec(
            403,
            "[토스페이먼츠] 위험거래가 감지되어 결제가 제한됩니다.",
            "The payment is restricted because a risky transaction was detected.",
        ),
        "COMMON_ERROR": ErrorSpec(500, _TEMPORARY_KO, _TEMPORARY_EN),
        "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING": ErrorSpec(
            500,
            "결제가 완료되지 않았어요. 다시 시도해주세요.",
            "The payment was not completed. Please try again.",
        ),
        "FAILED_INTERNAL_SYSTEM_PROCESSING": ErrorSpec(
            500,
            "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.",
            "Internal system processing failed. Please try again later.",
        ),
        "UNKNOWN_PAYMENT_ERROR": ErrorSpec(
            500,
            "결제에 실패했어요. 같은 문제가 반복된다면 은행이나 카드사로 문의해주세요.",
            "The payment failed. If it happens again, contact your bank or card company.",
        ),
        # Cancel.
        "NOT_CANCELABLE_PAYMENT": ErrorSpec(
            403, "취소 할 수 없는 결제 입니다.", "This payment cannot be canceled."
        ),
        "NOT_CANCELABLE_AMOUNT": ErrorSpec(
            403, "취소 할 수 없는 금액 입니다.", "This amount cannot be canceled."
        ),
        "ALREADY_CANCELED_PAYMENT": ErrorSpec(
            400, "이미 취소된 결제 입니다.", "The payment has already been canceled."
        ),
        "NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT": ErrorSpec(
            403,
            "입금 대기중인 결제는 부분 환불이 불가합니다.",
            "A payment waiting for its deposit cannot be partially refunded.",
        ),
        "NOT_MATCHES_REFUNDABLE_AMOUNT": ErrorSpec(
            400,
            "잔액 결과가 일치하지 않습니다.",
            "The refundable amount does not match the balance.",
        ),
        # The refund account a cancel of a deposited virtual account needs (toss-api.md §2.4,
        # §4.4), with the Korean and English messages of Toss's error page.
        "INVALID_BANK": ErrorSpec(400, "유효하지 않은 은행입니다.", "It is an Invalid bank."),
        "INVALID_REFUND_ACCOUNT_NUMBER": ErrorSpec(
            400, "잘못된 환불 계좌번호입니다.", "Incorrect refund account number."
        ),
        "INVALID_REFUND_ACCOUNT_INFO": ErrorSpec(
            400,
            "환불 계좌번호와 예금주명이 일치하지 않습니다.",
            "Refund account number and account holder name do not match.",
        ),
        # Payment window (hosted checkout) input and the codes sent to failUrl.
        "INVALID_CLIENT_KEY": ErrorSpec(
            400, "클라이언트 키가 잘못되었습니다.", "The client key is invalid."
        ),
        "INVALID_ORDER_ID": ErrorSpec(
            400,
            "orderId는 영문 대소문자, 숫자, 특수문자(-, _)만 허용하며 6자 이상 64자 이하입니다.",
            "orderId must be 6 to 64 characters of letters, digits, '-' or '_'.",
        ),
        "INVALID_ORDER_NAME": ErrorSpec(
            400,
            "주문명은 1자 이상 100자 이하여야 합니다.",
            "orderName must be 1 to 100 characters.",
        ),
        "BELOW_MINIMUM_AMOUNT": ErrorSpec(
            400,
            "신용카드는 결제금액이 100원 이상이어야 합니다.",
            "A card payment must be at least 100 KRW.",
        ),
        "INCORRECT_SUCCESS_URL_FORMAT": ErrorSpec(
            400,
            "잘못된 successUrl 입니다. http 또는 https 로 시작하는 주소여야 합니다.",
            "successUrl must be an http or https URL.",
        ),
        "INCORRECT_FAIL_URL_FORMAT": ErrorSpec(
            400,
            "잘못된 failUrl 입니다. http 또는 https 로 시작하는 주소여야 합니다.",
            "failUrl must be an http or https URL.",
        ),
        "PAY_PROCESS_CANCELED": ErrorSpec(
            400, "사용자에 의해 결제가 취소되었습니다.", "The payment was canceled by the user."
        ),
        "PAY_PROCESS_ABORTED": ErrorSpec(
            400,
            "결제 진행 중 승인에 실패하여 결제가 중단되었습니다.",
            "The payment was aborted because its approval failed.",
        ),
    }
)
