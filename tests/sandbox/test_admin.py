from __future__ import annotations

import httpx
import pytest

from .conftest import SandboxFactory
from .driver import SandboxDriver

ADMIN_ROUTES = [
    ("GET", "/admin/requests"),
    ("GET", "/admin/clock"),
    ("POST", "/admin/clock"),
    ("POST", "/admin/reset"),
    ("GET", "/admin/faults"),
    ("POST", "/admin/faults"),
    ("DELETE", "/admin/faults"),
    ("DELETE", "/admin/faults/1"),
    ("GET", "/admin/webhook"),
    ("PUT", "/admin/webhook"),
    ("GET", "/admin/webhooks"),
    ("POST", "/admin/webhooks/deliver"),
    ("POST", "/admin/virtual-accounts/tgen_x/deposit"),
    ("POST", "/admin/virtual-accounts/tgen_x/deposit-error"),
    ("GET", "/admin/virtual-accounts/tgen_x/refunds"),
    ("POST", "/admin/virtual-accounts/tgen_x/refund-failure"),
    ("GET", "/admin"),
]


async def test_with_the_admin_disabled_every_admin_route_is_not_found(
    make_sandbox: SandboxFactory,
) -> None:
    sandbox = await make_sandbox(admin_enabled=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sb.test"
    ) as client:
        responses = [
            await client.request(method, path, json={"advanceSeconds": 60})
            for method, path in ADMIN_ROUTES
        ]
        _, _, confirmed = await SandboxDriver(client).paid_order()

    assert [response.status_code for response in responses] == [404] * len(ADMIN_ROUTES)
    assert {response.json()["code"] for response in responses} == {"NOT_FOUND"}
    # The clock was not moved, and Toss's API still works.
    assert confirmed.json()["approvedAt"] == "2025-03-01T12:00:00+09:00"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/admin/nothing"), ("POST", "/admin/requests")]
)
async def test_unknown_admin_route_answers_not_found_json(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_malformed_admin_body_is_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post("/admin/clock", content=b"{not json")

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
