"""What a payment was paid with, as a receipt page shows it: Toss's method objects
(docs/toss-api.md §3), read from the stored payment by domain/toss_records.py."""

from __future__ import annotations

from typing import Self

import strawberry

from ..domain import institutions
from ..domain.ports import gateway as toss


@strawberry.type(description="Where the buyer pays a virtual-account order in.")
class VirtualAccount:
    account_number: str
    bank_code: str | None
    customer_name: str | None
    due_date: str | None = strawberry.field(description="As Toss gives it (KST, no offset).")

    @classmethod
    def from_domain(cls, account: toss.VirtualAccount) -> Self:
        return cls(
            account_number=account.account_number,
            bank_code=account.bank_code,
            customer_name=account.customer_name,
            due_date=account.due_date,
        )


@strawberry.type(description="The card a payment was made with, as Toss reports it.")
class PaymentCard:
    company: str | None = strawberry.field(
        description="The card company's Korean name, from `issuerCode` (`11` is `KB국민`); "
        "null for a code this API does not know."
    )
    issuer_code: str | None = strawberry.field(
        description="Toss's code of the card company that issued the card, e.g. `11`."
    )
    number: str | None = strawberry.field(
        description="The card number, masked as Toss gives it, e.g. `43301234****123*`."
    )
    installment_plan_months: int | None = strawberry.field(
        description="Months of installments; 0 is a lump sum."
    )
    approve_no: str | None = strawberry.field(description="The card company's approval number.")

    @classmethod
    def from_domain(cls, card: toss.PaymentCard) -> Self:
        return cls(
            company=institutions.card_company_name(card.issuer_code),
            issuer_code=card.issuer_code,
            number=card.number,
            installment_plan_months=card.installment_plan_months,
            approve_no=card.approve_no,
        )


@strawberry.type(description="An easy payment's service, and what it paid, in KRW.")
class EasyPay:
    provider: str = strawberry.field(
        description="The service, as Toss names it: `토스페이`, `네이버페이`, `카카오페이`, …"
    )
    amount: int = strawberry.field(
        description="Paid from the account or cash-like points registered with the service."
    )
    discount_amount: int = strawberry.field(
        description="Taken off at once by the service's points or coupons."
    )

    @classmethod
    def from_domain(cls, easy_pay: toss.EasyPay) -> Self:
        return cls(
            provider=easy_pay.provider,
            amount=easy_pay.amount,
            discount_amount=easy_pay.discount_amount,
        )


@strawberry.type(description="The bank a bank-transfer payment came from.")
class Transfer:
    bank_code: str | None = strawberry.field(description="Toss's code of the bank, e.g. `88`.")
    bank: str | None = strawberry.field(
        description="The bank's Korean name, from `bankCode` (`88` is `신한`); null for a code "
        "this API does not know."
    )

    @classmethod
    def from_domain(cls, transfer: toss.Transfer) -> Self:
        return cls(bank_code=transfer.bank_code, bank=institutions.bank_name(transfer.bank_code))


@strawberry.type(description="A mobile-phone payment.")
class MobilePhone:
    customer_mobile_phone: str | None = strawberry.field(
        description="The buyer's phone number as Toss gives it (unmasked). Like the whole "
        "order, only the order's buyer and admins can read it."
    )
    receipt_url: str | None = strawberry.field(
        description="The receipt of the phone payment, on Toss's side."
    )

    @classmethod
    def from_domain(cls, mobile_phone: toss.MobilePhone) -> Self:
        return cls(
            customer_mobile_phone=mobile_phone.customer_mobile_phone,
            receipt_url=mobile_phone.receipt_url,
        )
