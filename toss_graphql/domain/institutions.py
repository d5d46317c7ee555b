"""The Korean names of the card companies and banks Toss names by code.

A Payment's `card.issuerCode` and `transfer.bankCode` are Toss's own codes, not names
(docs/toss-api.md §3.3, from Toss's 기관 코드 page, https://docs.tosspayments.com/codes/org-codes).
The two tables are different code spaces: `11` is KB국민 as a card company and NH농협 as a
bank. A code missing here names nothing (None): Toss adds institutions, and a receipt shows
the code rather than a guessed name.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["bank_name", "card_company_name", "is_bank_code"]

# Toss's 카드사 코드 (docs/toss-api.md §3.3).
_CARD_COMPANIES: Mapping[str, str] = {
    "3K": "기업비씨",
    "46": "광주",
    "71": "롯데",
    "30": "산업",
    "31": "BC",
    "51": "삼성",
    "38": "새마을",
    "41": "신한",
    "62": "신협",
    "36": "씨티",
    "33": "우리",
    "W1": "우리",
    "37": "우체국",
    "39": "저축",
    "35": "전북",
    "42": "제주",
    "15": "카카오뱅크",
    "3A": "케이뱅크",
    "24": "토스뱅크",
    "21": "하나",
    "61": "현대",
    "11": "KB국민",
    "91": "NH농협",
    "34": "Sh수협",
}

# Toss's 은행 코드 (docs/toss-api.md §3.3).
_BANKS: Mapping[str, str] = {
    "39": "경남",
    "34": "광주",
    "12": "단위농협",
    "32": "부산",
    "45": "새마을",
    "64": "산림조합",
    "88": "신한",
    "48": "신협",
    "27": "씨티",
    "20": "우리",
    "71": "우체국",
    "50": "저축은행",
    "37": "전북",
    "35": "제주",
    "90": "카카오뱅크",
    "89": "케이뱅크",
    "92": "토스뱅크",
    "81": "하나",
    "54": "HSBC",
    "03": "IBK기업",
    "06": "KB국민",
    "31": "iM뱅크(대구)",
    "02": "KDB산업",
    "11": "NH농협",
    "23": "SC제일",
    "07": "Sh수협",
}


def card_company_name(issuer_code: str | None) -> str | None:
    """The card company of a card's `issuerCode`, e.g. `11` is `KB국민`."""
    return _CARD_COMPANIES.get(issuer_code) if issuer_code is not None else None


def bank_name(bank_code: str | None) -> str | None:
    """The bank of a `bankCode`, e.g. `88` is `신한`."""
    return _BANKS.get(bank_code) if bank_code is not None else None


def is_bank_code(code: str) -> bool:
    """Whether `code` is one of Toss's bank codes: what a refund account's `bank` must be."""
    return code in _BANKS
