"""Toss's error answer: `{code, message}` with the HTTP status of the code's row in the table
(error_table.py)."""

from __future__ import annotations

from toss_sandbox.i18n import Language
from toss_sandbox.vocabulary.error_table import ERRORS, ErrorSpec

__all__ = ["ERRORS", "ErrorSpec", "TossApiError", "error_spec", "invalid_request"]

# Toss's test environment answers any code named in `TossPayments-Test-Code`; the sandbox
# does too, with this text for codes it has no message for.
_UNLISTED = ErrorSpec(
    400,
    "TossPayments-Test-Code 헤더로 요청된 에러입니다.",
    "Error requested through the TossPayments-Test-Code header.",
)


def error_spec(code: str) -> ErrorSpec:
    return ERRORS.get(code, _UNLISTED)


class TossApiError(Exception):
    """An answer in Toss's error shape: the request did not take effect.

    `detail` replaces the table's message pair when the generic text would hide what went
    wrong (an `INVALID_REQUEST` that says which field).
    """

    def __init__(self, code: str, detail: tuple[str, str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail

    @property
    def http_status(self) -> int:
        return error_spec(self.code).http_status

    def message(self, language: Language) -> str:
        if self.detail is None:
            return error_spec(self.code).message(language)
        message_ko, message_en = self.detail
        return message_en if language is Language.EN else message_ko

    def body(self, language: Language) -> dict[str, str]:
        return {"code": self.code, "message": self.message(language)}


def invalid_request(field: str, rule_ko: str, rule_en: str) -> TossApiError:
    """400 INVALID_REQUEST with a message that names the field and the rule it broke."""
    return TossApiError(
        "INVALID_REQUEST",
        (f"잘못된 요청입니다. {field}: {rule_ko}", f"The request is invalid. {field}: {rule_en}"),
    )
