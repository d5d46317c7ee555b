"""Toss's bank codes (은행 코드), the two characters a Payment and a refund account name a bank
by (toss-api.md §3.3). They are a code space of their own: `11` is NH농협 here, and KB국민
among card companies."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

BANK_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
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
)
