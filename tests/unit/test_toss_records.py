"""The readers of Toss's method objects (domain/toss_records.py): what they read out of a
stored Payment object, and how leniently (toss-api.md §3)."""

from __future__ import annotations

from typing import Any

import pytest

from toss_graphql.domain import toss_records
from toss_graphql.domain.ports.gateway import EasyPay, MobilePhone, PaymentCard, Transfer

CARD = {
    "issuerCode": "11",
    "acquirerCode": "11",
    "number": "43301234****123*",
    "installmentPlanMonths": 3,
    "isInterestFree": False,
    "interestPayer": None,
    "approveNo": "00000000",
    "useCardPoint": False,
    "cardType": "신용",
    "ownerType": "개인",
    "acquireStatus": "READY",
    "amount": 10000,
}
READERS = {
    "card": toss_records.card,
    "easyPay": toss_records.easy_pay,
    "transfer": toss_records.transfer,
    "mobilePhone": toss_records.mobile_phone,
}


def test_a_card_is_read_with_its_issuer_masked_number_installments_and_approval() -> None:
    assert toss_records.card({"card": CARD}) == PaymentCard(
        issuer_code="11",
        number="43301234****123*",
        installment_plan_months=3,
        approve_no="00000000",
    )


def test_an_easy_pay_is_read_with_its_provider_and_amounts() -> None:
    easy_pay = {"provider": "네이버페이", "amount": 9000, "discountAmount": 1000}
    assert toss_records.easy_pay({"easyPay": easy_pay}) == EasyPay("네이버페이", 9000, 1000)


def test_a_transfer_is_read_with_its_bank_code() -> None:
    transfer = {"bankCode": "88", "settlementStatus": "COMPLETED"}
    assert toss_records.transfer({"transfer": transfer}) == Transfer(bank_code="88")


def test_a_mobile_phone_is_read_with_the_number_as_toss_gives_it() -> None:
    phone = {
        "customerMobilePhone": "01012345678",
        "settlementStatus": "INCOMPLETED",
        "receiptUrl": "https://receipts.example/phone",
    }
    assert toss_records.mobile_phone({"mobilePhone": phone}) == MobilePhone(
        customer_mobile_phone="01012345678", receipt_url="https://receipts.example/phone"
    )


@pytest.mark.parametrize("key", sorted(READERS))
@pytest.mark.parametrize("value", [None, "x", 5, True, ["x"]], ids=repr)
def test_a_method_object_that_is_absent_or_not_an_object_is_none(key: str, value: Any) -> None:
    read = READERS[key]
    assert read({}) is None
    assert read({key: value}) is None


def test_odd_fields_of_a_card_are_unknown_and_the_card_is_still_read() -> None:
    odd = {"issuerCode": 11, "number": None, "installmentPlanMonths": "3", "approveNo": 7}
    assert toss_records.card({"card": odd}) == PaymentCard()


@pytest.mark.parametrize("months", [-1, 2.5, True, "0"], ids=repr)
def test_installment_months_that_are_not_a_whole_count_are_unknown(months: Any) -> None:
    card = toss_records.card({"card": {**CARD, "installmentPlanMonths": months}})
    assert card is not None
    assert card.installment_plan_months is None


def test_whole_numbers_sent_as_json_floats_are_read_as_ints() -> None:
    card = toss_records.card({"card": {**CARD, "installmentPlanMonths": 0.0}})
    easy_pay = toss_records.easy_pay(
        {"easyPay": {"provider": "토스페이", "amount": 10000.0, "discountAmount": 0.0}}
    )
    assert card is not None and easy_pay is not None
    assert (card.installment_plan_months, easy_pay.amount, easy_pay.discount_amount) == (
        0,
        10000,
        0,
    )
    assert type(card.installment_plan_months) is type(easy_pay.amount) is int


@pytest.mark.parametrize(
    "easy_pay",
    [
        {"amount": 10000, "discountAmount": 0},
        {"provider": 3, "amount": 10000, "discountAmount": 0},
        {"provider": "토스페이", "discountAmount": 0},
        {"provider": "토스페이", "amount": "10000", "discountAmount": 0},
        {"provider": "토스페이", "amount": 10000, "discountAmount": None},
        {"provider": "토스페이", "amount": 9999.5, "discountAmount": 0},
        {"provider": "토스페이", "amount": -10000, "discountAmount": 0},
        {"provider": "토스페이", "amount": 10000, "discountAmount": False},
    ],
    ids=repr,
)
def test_an_easy_pay_without_its_provider_or_a_whole_amount_is_none(
    easy_pay: dict[str, Any],
) -> None:
    # The API promises all three (non-null): an amount is never guessed, so no easy pay.
    assert toss_records.easy_pay({"easyPay": easy_pay}) is None


def test_odd_fields_of_a_transfer_or_a_mobile_phone_are_unknown() -> None:
    assert toss_records.transfer({"transfer": {"bankCode": 88}}) == Transfer(bank_code=None)
    assert toss_records.mobile_phone(
        {"mobilePhone": {"customerMobilePhone": 1012345678, "receiptUrl": ["x"]}}
    ) == MobilePhone(customer_mobile_phone=None, receipt_url=None)
