"""What a buyer can pay with in the sandbox: the choices its widget and window offer.

Each choice is named by the code Toss's widget reports for it (`paymentMethodSelect`,
`getSelectedPaymentMethod()`: `CARD`, `VIRTUAL_ACCOUNT`, `TRANSFER`, `MOBILE_PHONE`, and an
easy-pay provider such as `TOSSPAY`; the typings of `@tosspayments/tosspayments-sdk`, type
`WidgetsPaymentMethodCode`), and shown by the Korean name Toss's widget and its Payment
objects use (`method`: 카드, 가상계좌, 계좌이체, 휴대폰, 간편결제; `easyPay.provider`:
토스페이, 네이버페이, 카카오페이; docs/toss-api.md §3). Easy pay is one `method`, 간편결제,
with the provider beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from toss_sandbox.vocabulary.status import PaymentMethod

# Toss's `method` values in Korean, its default language (docs/toss-api.md §3).
METHOD_NAMES: Final = {
    PaymentMethod.CARD: "카드",
    PaymentMethod.VIRTUAL_ACCOUNT: "가상계좌",
    PaymentMethod.TRANSFER: "계좌이체",
    PaymentMethod.MOBILE_PHONE: "휴대폰",
    PaymentMethod.EASY_PAY: "간편결제",
}


class EasyPayProvider(StrEnum):
    """The easy-pay providers the sandbox offers, by Toss's codes (docs/toss-api.md §3)."""

    TOSSPAY = "TOSSPAY"
    NAVERPAY = "NAVERPAY"
    KAKAOPAY = "KAKAOPAY"


PROVIDER_NAMES: Final = {
    EasyPayProvider.TOSSPAY: "토스페이",
    EasyPayProvider.NAVERPAY: "네이버페이",
    EasyPayProvider.KAKAOPAY: "카카오페이",
}


@dataclass(frozen=True, slots=True)
class MethodChoice:
    code: str
    label: str
    method: PaymentMethod
    provider: EasyPayProvider | None = None


CHOICES: Final = (
    MethodChoice("CARD", "카드", PaymentMethod.CARD),
    MethodChoice("VIRTUAL_ACCOUNT", "가상계좌", PaymentMethod.VIRTUAL_ACCOUNT),
    MethodChoice("TRANSFER", "계좌이체", PaymentMethod.TRANSFER),
    MethodChoice("MOBILE_PHONE", "휴대폰", PaymentMethod.MOBILE_PHONE),
    *(
        MethodChoice(provider.value, name, PaymentMethod.EASY_PAY, provider)
        for provider, name in PROVIDER_NAMES.items()
    ),
)
BY_CODE: Final = {choice.code: choice for choice in CHOICES}
