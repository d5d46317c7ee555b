"""Card companies and banks named from Toss's codes (domain/institutions.py,
toss-api.md §3.3)."""

from __future__ import annotations

import pytest

from toss_graphql.domain.institutions import bank_name, card_company_name


@pytest.mark.parametrize(
    ("issuer_code", "company"),
    [("11", "KB국민"), ("3K", "기업비씨"), ("W1", "우리"), ("33", "우리"), ("24", "토스뱅크")],
)
def test_a_card_company_is_named_from_its_code(issuer_code: str, company: str) -> None:
    assert card_company_name(issuer_code) == company


@pytest.mark.parametrize(
    ("bank_code", "bank"),
    [("88", "신한"), ("03", "IBK기업"), ("31", "iM뱅크(대구)"), ("92", "토스뱅크")],
)
def test_a_bank_is_named_from_its_code(bank_code: str, bank: str) -> None:
    assert bank_name(bank_code) == bank


def test_card_company_and_bank_codes_are_separate_code_spaces() -> None:
    assert (card_company_name("11"), bank_name("11")) == ("KB국민", "NH농협")


@pytest.mark.parametrize("code", [None, "", "99", "3k", "3", "011", " 11"], ids=repr)
def test_an_unknown_code_names_nothing(code: str | None) -> None:
    assert card_company_name(code) is None
    assert bank_name(code) is None
