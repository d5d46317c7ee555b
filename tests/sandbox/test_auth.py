from __future__ import annotations

import pytest

from .driver import CONFIRM_PATH, SandboxDriver, basic_auth


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer test_sk_sandbox",
        "Basic !!!not-base64!!!",
        "Basic",
        basic_auth("test_sk_someone_else"),
    ],
    ids=["missing", "bearer", "garbled", "empty", "other-key"],
)
async def test_confirm_without_the_secret_key_is_unauthorized_key(
    toss: SandboxDriver, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await toss.client.post(
        CONFIRM_PATH, json={"paymentKey": "k", "orderId": "order-1", "amount": 1}, headers=headers
    )

    assert response.status_code == 401
    assert response.json() == {
        "code": "UNAUTHORIZED_KEY",
        "message": "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
    }


async def test_key_encoded_without_its_colon_is_incorrect_basic_auth_format(
    toss: SandboxDriver,
) -> None:
    response = await toss.confirm(
        "k", "order-1", headers={"Authorization": basic_auth(colon=False)}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "INCORRECT_BASIC_AUTH_FORMAT"


async def test_lookups_need_the_secret_key_too(toss: SandboxDriver) -> None:
    response = await toss.get(
        "/v1/payments/orders/order-1", headers={"Authorization": basic_auth("test_sk_nope")}
    )

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED_KEY"
