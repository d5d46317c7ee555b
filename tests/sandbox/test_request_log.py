from __future__ import annotations

from .driver import CONFIRM_PATH, SandboxDriver, basic_auth, new_order_id


async def test_request_log_lists_every_v1_call_in_order(toss: SandboxDriver) -> None:
    order_id = new_order_id()
    payment_key = await toss.approve_checkout(order_id)
    await toss.confirm(payment_key, order_id, 1, idempotency_key="a")
    await toss.confirm(payment_key, order_id, headers={"Authorization": basic_auth("test_sk_x")})
    await toss.confirm(payment_key, order_id)
    await toss.get(f"/v1/payments/orders/{order_id}")
    await toss.client.get("/v1/unknown")

    logged = await toss.logged_requests()

    assert [(entry["method"], entry["path"], entry["status"]) for entry in logged] == [
        ("POST", CONFIRM_PATH, 400),
        ("POST", CONFIRM_PATH, 401),
        ("POST", CONFIRM_PATH, 200),
        ("GET", f"/v1/payments/orders/{order_id}", 200),
        ("GET", "/v1/unknown", 404),
    ]
    assert [entry["idempotencyKey"] for entry in logged] == ["a", None, None, None, None]


async def test_request_log_filters_by_exact_path_and_method(toss: SandboxDriver) -> None:
    _, payment_key, _ = await toss.paid_order()
    await toss.get(f"/v1/payments/{payment_key}")

    by_path = await toss.logged_requests(path=f"/v1/payments/{payment_key}")
    by_method = await toss.logged_requests(method="post")
    by_prefix = await toss.logged_requests(path="/v1/payments")

    assert [entry["method"] for entry in by_path] == ["GET"]
    assert [entry["path"] for entry in by_method] == [CONFIRM_PATH]
    assert by_prefix == []


async def test_request_log_names_the_key_set_each_call_authenticated_with(
    toss: SandboxDriver,
) -> None:
    _, payment_key, _ = await toss.paid_order()
    await toss.get(
        f"/v1/payments/{payment_key}", headers={"Authorization": basic_auth("test_gsk_sandbox")}
    )
    await toss.get(f"/v1/payments/{payment_key}", headers={"Authorization": basic_auth("no")})

    logged = await toss.logged_requests()

    assert [entry["keySet"] for entry in logged] == ["API_INDIVIDUAL", "WIDGET", None]
    assert not any("test_" in str(entry) for entry in logged), "a key never shows in the log"
