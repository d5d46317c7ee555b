from __future__ import annotations

import httpx
import pytest

from toss_sandbox import Sandbox

from .driver import SandboxDriver, basic_auth, new_order_id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nothing"),
        ("POST", "/v1/payments/key-in"),
        ("DELETE", "/v1/payments/tgen_x"),
        ("GET", "/v1/payments/orders/a/b"),
    ],
)
async def test_unknown_v1_route_answers_not_found_json(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "NOT_FOUND"


async def test_failure_inside_a_handler_answers_internal_error_json(
    sandbox: Sandbox, toss: SandboxDriver
) -> None:
    await sandbox.close()

    response = await toss.confirm("tgen_x", new_order_id())

    assert response.status_code == 500
    assert response.json() == {
        "code": "FAILED_INTERNAL_SYSTEM_PROCESSING",
        "message": "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.",
    }


@pytest.mark.parametrize("path", ["/v1/payments/confirm", "/admin/faults"])
async def test_deeply_nested_body_is_a_json_400(client: httpx.AsyncClient, path: str) -> None:
    nested = "[" * 5000 + "]" * 5000
    response = await client.post(
        path,
        content=b'{"paymentKey":' + nested.encode() + b"}",
        headers={"Content-Type": "application/json", "Authorization": basic_auth()},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
