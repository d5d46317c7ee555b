"""The GraphQL Payment shows the domain's typed method details, with card companies and banks
named from their codes; it reads no Toss JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from toss_graphql.domain import models
from toss_graphql.domain.ports.gateway import (
    EasyPay,
    MobilePhone,
    PaymentCard,
    TossPaymentStatus,
    Transfer,
)
from toss_graphql.schema import types
from toss_graphql.schema.execution import execution_context_for
from toss_graphql.schema.schema import build_schema


def payment(**details: Any) -> models.Payment:
    return models.Payment(
        payment_key="tgen_methods",
        order_id="order-0001",
        method="카드",
        total_amount=10000,
        balance_amount=10000,
        toss_status=TossPaymentStatus.DONE,
        approved_at=datetime(2026, 11, 22, tzinfo=UTC),
        receipt_url="https://receipts.example/1",
        **details,
    )


def test_a_card_shows_its_company_named_from_the_issuer_code() -> None:
    card = PaymentCard("11", "43301234****123*", 0, "00000000")
    shown = types.Payment.from_domain(payment(card=card)).card
    assert shown is not None
    assert (
        shown.company,
        shown.issuer_code,
        shown.number,
        shown.installment_plan_months,
        shown.approve_no,
    ) == ("KB국민", "11", "43301234****123*", 0, "00000000")


def test_a_card_of_an_unknown_company_shows_its_code_and_no_name() -> None:
    shown = types.Payment.from_domain(payment(card=PaymentCard(issuer_code="ZZ"))).card
    assert shown is not None
    assert (shown.company, shown.issuer_code) == (None, "ZZ")


def test_a_transfer_shows_its_bank_named_from_the_code_or_no_name() -> None:
    known = types.Payment.from_domain(payment(transfer=Transfer("88"))).transfer
    unknown = types.Payment.from_domain(payment(transfer=Transfer("00"))).transfer
    assert known is not None and unknown is not None
    assert (known.bank_code, known.bank) == ("88", "신한")
    assert (unknown.bank_code, unknown.bank) == ("00", None)


def test_an_easy_pay_and_a_mobile_phone_show_what_the_records_hold() -> None:
    shown = types.Payment.from_domain(
        payment(
            easy_pay=EasyPay("카카오페이", 9000, 1000),
            mobile_phone=MobilePhone("01012345678", "https://receipts.example/phone"),
        )
    )
    assert shown.easy_pay is not None and shown.mobile_phone is not None
    assert (shown.easy_pay.provider, shown.easy_pay.amount, shown.easy_pay.discount_amount) == (
        "카카오페이",
        9000,
        1000,
    )
    assert (shown.mobile_phone.customer_mobile_phone, shown.mobile_phone.receipt_url) == (
        "01012345678",
        "https://receipts.example/phone",
    )


def test_the_details_come_from_the_records_not_from_tosss_json() -> None:
    raw: dict[str, object] = {
        "card": {"issuerCode": "11"},
        "easyPay": {"provider": "토스페이", "amount": 0, "discountAmount": 0},
        "transfer": {"bankCode": "88"},
        "mobilePhone": {"customerMobilePhone": "01012345678"},
    }
    shown = types.Payment.from_domain(payment(raw=raw))
    assert (shown.card, shown.easy_pay, shown.transfer, shown.mobile_phone) == (
        None,
        None,
        None,
        None,
    )


def test_the_details_plain_fields_take_the_short_path() -> None:
    # So the integration test that reads them both ways compares the short path with
    # graphql-core's (tests/integration/test_payment_methods.py).
    leaves = execution_context_for(build_schema()._schema).leaves
    assert set(leaves["PaymentCard"]) == {
        "company",
        "issuerCode",
        "number",
        "installmentPlanMonths",
        "approveNo",
    }
    assert set(leaves["EasyPay"]) == {"provider", "amount", "discountAmount"}
    assert set(leaves["Transfer"]) == {"bankCode", "bank"}
    assert set(leaves["MobilePhone"]) == {"customerMobilePhone", "receiptUrl"}
