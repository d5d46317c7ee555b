"""The contract: requests to Toss's core payment API and the answers Toss documents for them.

One table, run by `test_contract.py` against the sandbox and, when TOSS_LIVE_SECRET_KEY is
set, against Toss's own test API. Each case cites the section of toss-api.md (the project's
notes on what Toss documents, with sources) its answer comes from; `doubt` repeats what those
notes flag as uncertain, so a failure
on the `toss` target there may mean the documentation, not the sandbox, was wrong.

Cases `given` nothing run against every target. The others start from a payment a buyer
approved in the payment window, which on Toss needs a person, so they run on the sandbox
only. Strings in a case may name `{paymentKey}` and `{orderId}`: those of that payment.
"""

from __future__ import annotations

from typing import Final

from tests.contract.contract import PRESENT, TIMESTAMP, Auth, ContractCase, Given, Language

API_VERSION: Final = "2022-11-16"
CHECKOUT_AMOUNT: Final = 10_000
PARTIAL_CANCEL_AMOUNT: Final = 3_000
CANCEL_REASON: Final = "고객 변심"

# Keys no merchant holds; the orderId follows Toss's rule (6-64 of letters, digits, - and _).
UNKNOWN_PAYMENT_KEY: Final = "tgen_20250101000000CNTRCT"
UNKNOWN_ORDER_ID: Final = "contract-unknown-order-0001"
# Toss caps Idempotency-Key at 300 characters (toss-api.md §5).
LONGEST_IDEMPOTENCY_KEY: Final = "k" * 300
TOO_LONG_IDEMPOTENCY_KEY: Final = "k" * 301

CONFIRM: Final = "/v1/payments/confirm"
BY_KEY: Final = "/v1/payments/{paymentKey}"
BY_ORDER_ID: Final = "/v1/payments/orders/{orderId}"
CANCEL: Final = "/v1/payments/{paymentKey}/cancel"

_UNKNOWN_CONFIRM: Final = {
    "paymentKey": UNKNOWN_PAYMENT_KEY,
    "orderId": UNKNOWN_ORDER_ID,
    "amount": CHECKOUT_AMOUNT,
}
_CONFIRM_CHECKOUT: Final = {
    "paymentKey": "{paymentKey}",
    "orderId": "{orderId}",
    "amount": CHECKOUT_AMOUNT,
}
_CANCEL_ALL: Final = {"cancelReason": CANCEL_REASON}
_ENGLISH: Final = (("Accept-Language", "en-US"),)


def _forced(code: str, status: int) -> ContractCase:
    return ContractCase(
        id=f"test_code_{code.lower()}_is_answered_with_{status}",
        source="§1 test-code header, processed before paymentKey validation; §9 [S-obs]",
        given=Given.NOTHING,
        method="POST",
        path=CONFIRM,
        body=_UNKNOWN_CONFIRM,
        headers=(("TossPayments-Test-Code", code),),
        status=status,
        code=code,
    )


CASES: Final[tuple[ContractCase, ...]] = (
    # --- No checkout needed: every target. ---
    ContractCase(
        id="get_by_unknown_payment_key_is_not_found_payment",
        source="§2.3, §4.3",
        given=Given.NOTHING,
        method="GET",
        path=f"/v1/payments/{UNKNOWN_PAYMENT_KEY}",
        status=404,
        code="NOT_FOUND_PAYMENT",
        message_language=Language.KO,
    ),
    ContractCase(
        id="get_by_unknown_order_id_is_not_found_payment",
        source="§2.3 (observed [S-obs]), §4.3",
        given=Given.NOTHING,
        method="GET",
        path=f"/v1/payments/orders/{UNKNOWN_ORDER_ID}",
        status=404,
        code="NOT_FOUND_PAYMENT",
    ),
    ContractCase(
        id="error_message_is_english_with_accept_language_en_us",
        source="§1 Accept-Language, §4.1",
        given=Given.NOTHING,
        method="GET",
        path=f"/v1/payments/{UNKNOWN_PAYMENT_KEY}",
        headers=_ENGLISH,
        status=404,
        code="NOT_FOUND_PAYMENT",
        message_language=Language.EN,
    ),
    ContractCase(
        id="confirm_of_unknown_payment_key_is_not_found",
        source="§4.2 (both 404 codes are listed for confirm)",
        given=Given.NOTHING,
        method="POST",
        path=CONFIRM,
        body=_UNKNOWN_CONFIRM,
        status=404,
        code="NOT_FOUND_PAYMENT_SESSION",
        also_documented=("NOT_FOUND_PAYMENT",),
        doubt="the docs do not say which of the two 404 codes an unknown paymentKey gets",
    ),
    ContractCase(
        id="cancel_of_unknown_payment_key_is_not_found_payment",
        source="§4.1 (404 = resource not found), §4.3",
        given=Given.NOTHING,
        method="POST",
        path=f"/v1/payments/{UNKNOWN_PAYMENT_KEY}/cancel",
        body=_CANCEL_ALL,
        status=404,
        code="NOT_FOUND_PAYMENT",
        doubt="§4.4's cancel table lists no 404 code; NOT_FOUND_PAYMENT is the get/confirm one",
    ),
    ContractCase(
        id="wrong_secret_key_is_unauthorized_key",
        source="§1 (observed for an unknown test_sk_ key), §4.3",
        given=Given.NOTHING,
        method="GET",
        path=f"/v1/payments/{UNKNOWN_PAYMENT_KEY}",
        auth=Auth.WRONG_KEY,
        status=401,
        code="UNAUTHORIZED_KEY",
        doubt="§12.9: [D-reqres] says 403 for a wrong key, the error tables say 401",
    ),
    ContractCase(
        id="confirm_with_wrong_secret_key_is_unauthorized_key",
        source="§4.2",
        given=Given.NOTHING,
        method="POST",
        path=CONFIRM,
        body=_UNKNOWN_CONFIRM,
        auth=Auth.WRONG_KEY,
        status=401,
        code="UNAUTHORIZED_KEY",
        doubt="§12.9: [D-reqres] says 403 for a wrong key, the error tables say 401",
    ),
    ContractCase(
        id="missing_authorization_is_unauthorized_key",
        source="§4.3 (UNAUTHORIZED_KEY, general)",
        given=Given.NOTHING,
        method="GET",
        path=f"/v1/payments/{UNKNOWN_PAYMENT_KEY}",
        auth=Auth.NONE,
        status=401,
        code="UNAUTHORIZED_KEY",
        doubt="§12.9: the answer to a missing Authorization header was never verified",
    ),
    ContractCase(
        id="basic_auth_without_colon_is_incorrect_basic_auth_format",
        source="§1, §4.3 [S-pw]",
        given=Given.NOTHING,
        method="GET",
        path=f"/v1/payments/{UNKNOWN_PAYMENT_KEY}",
        auth=Auth.NO_COLON,
        status=403,
        code="INCORRECT_BASIC_AUTH_FORMAT",
        doubt="§4.2: 403 per the docs' per-API tables [S-pw], 400 per [S-koin]",
    ),
    ContractCase(
        id="idempotency_key_over_300_characters_is_invalid_idempotency_key",
        source="§5, §4.2",
        given=Given.NOTHING,
        method="POST",
        path=CONFIRM,
        body=_UNKNOWN_CONFIRM,
        headers=(("Idempotency-Key", TOO_LONG_IDEMPOTENCY_KEY),),
        status=400,
        code="INVALID_IDEMPOTENCY_KEY",
    ),
    ContractCase(
        id="idempotency_key_of_300_characters_is_accepted",
        source="§5 (max 300 characters)",
        given=Given.NOTHING,
        method="POST",
        path=CONFIRM,
        body=_UNKNOWN_CONFIRM,
        headers=(("Idempotency-Key", LONGEST_IDEMPOTENCY_KEY),),
        status=404,
        code="NOT_FOUND_PAYMENT_SESSION",
        also_documented=("NOT_FOUND_PAYMENT",),
        doubt="the docs do not say which of the two 404 codes an unknown paymentKey gets",
    ),
    ContractCase(
        id="idempotency_key_is_ignored_on_get",
        source="§5 (an idempotency header on a GET is ignored)",
        given=Given.NOTHING,
        method="GET",
        path=f"/v1/payments/{UNKNOWN_PAYMENT_KEY}",
        headers=(("Idempotency-Key", TOO_LONG_IDEMPOTENCY_KEY),),
        status=404,
        code="NOT_FOUND_PAYMENT",
    ),
    _forced("REJECT_CARD_PAYMENT", 403),
    _forced("ALREADY_PROCESSED_PAYMENT", 400),
    _forced("IDEMPOTENT_REQUEST_PROCESSING", 409),
    _forced("DUPLICATED_ORDER_ID", 400),
    _forced("FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", 500),
    _forced("COMMON_ERROR", 500),
    ContractCase(
        id="test_code_is_answered_only_after_authentication",
        source="§1 (the test code needs a test_ key)",
        given=Given.NOTHING,
        method="POST",
        path=CONFIRM,
        body=_UNKNOWN_CONFIRM,
        auth=Auth.WRONG_KEY,
        headers=(("TossPayments-Test-Code", "COMMON_ERROR"),),
        status=401,
        code="UNAUTHORIZED_KEY",
        doubt="(derived) the docs do not give the order of the auth and test-code checks",
    ),
    ContractCase(
        id="the_widget_secret_key_authenticates_like_the_api_key",
        source="§1 key prefixes (test_gsk_ for the payment widget), §2.3, §4.3",
        given=Given.NOTHING,
        method="GET",
        path=f"/v1/payments/{UNKNOWN_PAYMENT_KEY}",
        auth=Auth.WIDGET_KEY,
        status=404,
        code="NOT_FOUND_PAYMENT",
    ),
    # --- From an approved checkout: the sandbox only. ---
    ContractCase(
        id="confirm_of_a_widget_checkout_with_the_widget_key_is_done",
        source="§1 key prefixes, §2.2",
        given=Given.AUTHENTICATED_BY_WIDGET,
        method="POST",
        path=CONFIRM,
        body=_CONFIRM_CHECKOUT,
        auth=Auth.WIDGET_KEY,
        status=200,
        fields={"paymentKey": "{paymentKey}", "status": "DONE", "method": "카드"},
    ),
    ContractCase(
        id="confirm_of_a_widget_checkout_with_the_api_key_is_invalid_api_key",
        source="§1 key prefixes (a client key and secret key of different sets), §4.2",
        given=Given.AUTHENTICATED_BY_WIDGET,
        method="POST",
        path=CONFIRM,
        body=_CONFIRM_CHECKOUT,
        status=400,
        code="INVALID_API_KEY",
        message_language=Language.KO,
        doubt="the pairing's code is a third-party observation, stated in toss-api.md §1",
    ),
    ContractCase(
        id="confirm_of_a_window_checkout_with_the_widget_key_is_invalid_api_key",
        source="§1 key prefixes (a client key and secret key of different sets), §4.2",
        given=Given.AUTHENTICATED,
        method="POST",
        path=CONFIRM,
        body=_CONFIRM_CHECKOUT,
        auth=Auth.WIDGET_KEY,
        status=400,
        code="INVALID_API_KEY",
        doubt="the pairing's code is a third-party observation, stated in toss-api.md §1",
    ),
    ContractCase(
        id="confirm_of_an_approved_checkout_is_done",
        source="§2.2, §3",
        given=Given.AUTHENTICATED,
        method="POST",
        path=CONFIRM,
        body=_CONFIRM_CHECKOUT,
        status=200,
        fields={
            "version": API_VERSION,
            "paymentKey": "{paymentKey}",
            "orderId": "{orderId}",
            "type": "NORMAL",
            "status": "DONE",
            "method": "카드",
            "currency": "KRW",
            "totalAmount": CHECKOUT_AMOUNT,
            "balanceAmount": CHECKOUT_AMOUNT,
            # vat = round(10000 / 11); suppliedAmount = the rest (§3).
            "vat": 909,
            "suppliedAmount": 9_091,
            "requestedAt": TIMESTAMP,
            "approvedAt": TIMESTAMP,
            "lastTransactionKey": PRESENT,
            "cancels": None,
            "card.amount": CHECKOUT_AMOUNT,
        },
    ),
    ContractCase(
        id="confirm_in_english_names_its_values_in_english",
        source="§1 Accept-Language (method CARD, cardType CREDIT, ownerType PERSONAL)",
        given=Given.AUTHENTICATED,
        method="POST",
        path=CONFIRM,
        body=_CONFIRM_CHECKOUT,
        headers=_ENGLISH,
        status=200,
        fields={"status": "DONE", "method": "CARD", "card.cardType": "CREDIT"},
    ),
    ContractCase(
        id="second_confirm_is_already_processed_payment",
        source="§2.2 (observed 400 [S-obs])",
        given=Given.DONE,
        method="POST",
        path=CONFIRM,
        body=_CONFIRM_CHECKOUT,
        status=400,
        code="ALREADY_PROCESSED_PAYMENT",
    ),
    ContractCase(
        id="get_by_payment_key_shows_the_approved_payment",
        source="§2.3",
        given=Given.DONE,
        method="GET",
        path=BY_KEY,
        status=200,
        fields={
            "paymentKey": "{paymentKey}",
            "orderId": "{orderId}",
            "status": "DONE",
            "totalAmount": CHECKOUT_AMOUNT,
            "balanceAmount": CHECKOUT_AMOUNT,
        },
    ),
    ContractCase(
        id="get_by_order_id_shows_the_approved_payment",
        source="§2.3",
        given=Given.DONE,
        method="GET",
        path=BY_ORDER_ID,
        status=200,
        fields={
            "paymentKey": "{paymentKey}",
            "orderId": "{orderId}",
            "status": "DONE",
            "totalAmount": CHECKOUT_AMOUNT,
        },
    ),
    ContractCase(
        id="partial_cancel_is_partial_canceled_with_the_balance_left",
        source="§2.4, §3.1",
        given=Given.DONE,
        method="POST",
        path=CANCEL,
        body={"cancelReason": CANCEL_REASON, "cancelAmount": PARTIAL_CANCEL_AMOUNT},
        status=200,
        fields={
            "status": "PARTIAL_CANCELED",
            "totalAmount": CHECKOUT_AMOUNT,
            "balanceAmount": CHECKOUT_AMOUNT - PARTIAL_CANCEL_AMOUNT,
            # VAT and supply value shrink with the balance: round(7000 / 11) = 636 (§2.4).
            "vat": 636,
            "suppliedAmount": 6_364,
            "len(cancels)": 1,
            "cancels[0].cancelAmount": PARTIAL_CANCEL_AMOUNT,
            "cancels[0].cancelReason": CANCEL_REASON,
            "cancels[0].refundableAmount": CHECKOUT_AMOUNT - PARTIAL_CANCEL_AMOUNT,
            "cancels[0].cancelStatus": "DONE",
            "cancels[0].transactionKey": PRESENT,
            "cancels[0].canceledAt": TIMESTAMP,
        },
    ),
    ContractCase(
        id="full_cancel_is_canceled_with_nothing_left",
        source="§2.4 (no cancelAmount cancels the whole balance)",
        given=Given.DONE,
        method="POST",
        path=CANCEL,
        body=_CANCEL_ALL,
        status=200,
        fields={
            "status": "CANCELED",
            "totalAmount": CHECKOUT_AMOUNT,
            "balanceAmount": 0,
            "len(cancels)": 1,
            "cancels[0].cancelAmount": CHECKOUT_AMOUNT,
            "cancels[0].refundableAmount": 0,
            "cancels[0].cancelStatus": "DONE",
        },
    ),
    ContractCase(
        id="cancel_of_the_rest_after_a_partial_cancel_is_canceled",
        source="§2.4 (each cancel appends to cancels[])",
        given=Given.PARTIAL_CANCELED,
        method="POST",
        path=CANCEL,
        body=_CANCEL_ALL,
        status=200,
        fields={
            "status": "CANCELED",
            "balanceAmount": 0,
            "len(cancels)": 2,
            "cancels[0].cancelAmount": PARTIAL_CANCEL_AMOUNT,
            "cancels[1].cancelAmount": CHECKOUT_AMOUNT - PARTIAL_CANCEL_AMOUNT,
            "cancels[1].refundableAmount": 0,
        },
        doubt="§12.7: the status once partial cancels empty the balance is not confirmed",
    ),
    ContractCase(
        id="get_after_a_partial_cancel_shows_its_cancels",
        source="§2.3, §2.4",
        given=Given.PARTIAL_CANCELED,
        method="GET",
        path=BY_KEY,
        status=200,
        fields={
            "status": "PARTIAL_CANCELED",
            "balanceAmount": CHECKOUT_AMOUNT - PARTIAL_CANCEL_AMOUNT,
            "len(cancels)": 1,
            "cancels[0].cancelAmount": PARTIAL_CANCEL_AMOUNT,
        },
    ),
    ContractCase(
        id="cancel_over_the_balance_is_not_cancelable_amount",
        source="§4.4",
        given=Given.DONE,
        method="POST",
        path=CANCEL,
        body={"cancelReason": CANCEL_REASON, "cancelAmount": CHECKOUT_AMOUNT + 1},
        status=403,
        code="NOT_CANCELABLE_AMOUNT",
    ),
    ContractCase(
        id="cancel_of_a_canceled_payment_is_already_canceled_payment",
        source="§4.4 ([D-err], [S-koin])",
        given=Given.CANCELED,
        method="POST",
        path=CANCEL,
        body=_CANCEL_ALL,
        status=400,
        code="ALREADY_CANCELED_PAYMENT",
        doubt="§4.4: missing from [S-pw]'s cancel table",
    ),
)
