from __future__ import annotations

import pytest

from .driver import SandboxDriver, basic_auth, new_order_id


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("REJECT_CARD_PAYMENT", 403),
        ("ALREADY_PROCESSED_PAYMENT", 400),
        ("IDEMPOTENT_REQUEST_PROCESSING", 409),
        ("DUPLICATED_ORDER_ID", 400),
        ("FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", 500),
        ("COMMON_ERROR", 500),
    ],
)
async def test_test_code_header_answers_that_error_even_for_a_fake_payment(
    toss: SandboxDriver, code: str, status: int
) -> None:
    response = await toss.confirm(
        "tgen_fake", new_order_id(), headers={"TossPayments-Test-Code": code}
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]


async def test_test_code_takes_effect_without_changing_the_payment(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)

    forced = await toss.confirm(
        payment_key, order_id, headers={"TossPayments-Test-Code": "REJECT_CARD_COMPANY"}
    )
    real = await toss.confirm(payment_key, order_id)

    assert forced.status_code == 403
    assert real.status_code == 200


async def test_unlisted_test_code_is_answered_with_400(toss: SandboxDriver) -> None:
    response = await toss.get(
        "/v1/payments/tgen_fake", headers={"TossPayments-Test-Code": "SOME_NEW_CODE"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "SOME_NEW_CODE"


async def test_test_code_is_answered_only_after_authentication(toss: SandboxDriver) -> None:
    response = await toss.confirm(
        "tgen_fake",
        new_order_id(),
        headers={
            "Authorization": basic_auth("test_sk_wrong"),
            "TossPayments-Test-Code": "COMMON_ERROR",
        },
    )

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED_KEY"
