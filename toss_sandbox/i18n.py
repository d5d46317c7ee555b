"""The caller's language: Toss answers in Korean unless asked `Accept-Language: en-US`."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    KO = "ko"
    EN = "en"


def language_of(accept_language: str | None) -> Language:
    """English when the caller's first preference is English, else Korean (Toss's default).

    Toss documents `en-US`; any `en` tag is taken as English so `en` or `en-GB` clients are
    not surprised by Korean.
    """
    if not accept_language:
        return Language.KO
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return Language.EN if first == "en" or first.startswith("en-") else Language.KO
