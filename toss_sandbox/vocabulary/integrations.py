"""Toss's two kinds of keys, and which pairs belong together.

A merchant holds two sets: the keys of "API 개별 연동" (`test_ck_`/`test_sk_`: the payment
window, BrandPay, billing) and those of the payment widget (`test_gck_`/`test_gsk_`). A
payment started with a client key of one set must be confirmed with the secret key of the
same set; Toss answers any other pairing with `INVALID_API_KEY` (docs/toss-api.md §1, "Key
prefixes").
"""

from __future__ import annotations

from enum import StrEnum


class Integration(StrEnum):
    API_INDIVIDUAL = "API_INDIVIDUAL"
    WIDGET = "WIDGET"


def of_client_key(client_key: str) -> Integration:
    return Integration.WIDGET if "_gck_" in client_key else Integration.API_INDIVIDUAL


def of_secret_key(secret_key: str) -> Integration:
    return Integration.WIDGET if "_gsk_" in secret_key else Integration.API_INDIVIDUAL
