"""cancelPayment by buyer and order name, the cancels query, and Toss agreeing, on both
databases with the sandbox as a real process."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.flows import ORDER, cancel, graphql, paid_order, toss_payment

pytestmark = pytest.mark.usefixtures("catalog")

CANCELS = """
query Cancels($buyer: String, $orderId: ID, $first: Int, $after: String) {
  cancels(buyer: $buyer, orderId: $orderId, first: $first, after: $after) {
    edges { cursor node { transactionKey orderId buyer orderName cancelAmount cancelReason } }
    pageInfo { hasNextPage endCursor }
  }
}"""

SUBSCRIPTION = {"orderName": "정기 구독", "amount": 10000, "buyer": "alice"}


@pytest.fixture
async def order(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, admin: str
) -> dict[str, Any]:
    return await paid_order(api, sandbox_client, admin, SUBSCRIPTION)


def _ask(**extra: Any) -> dict[str, Any]:
    return {"buyer": "alice", "orderName": "정기 구독", "reason": "고객 변심", **extra}


async def test_full_cancel_shows_everywhere_and_toss_agrees(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    payload = await cancel(api, alice, _ask())
    assert payload["errors"] == []
    assert payload["order"]["status"] == "CANCELED"
    assert payload["order"]["payment"] is None
    made = payload["cancel"]
    assert (made["cancelAmount"], made["cancelReason"], made["buyer"]) == (
        10000,
        "고객 변심",
        "alice",
    )

    shown = (await graphql(api, ORDER, {"orderId": order["orderId"]}, alice))["data"]["order"]
    assert (shown["status"], shown["payment"]) == ("CANCELED", None)
    listed = (await graphql(api, CANCELS, {}, alice))["data"]["cancels"]["edges"]
    assert [edge["node"]["transactionKey"] for edge in listed] == [made["transactionKey"]]

    at_toss = await toss_payment(sandbox_client, order["orderId"])
    assert (at_toss["status"], at_toss["balanceAmount"]) == ("CANCELED", 0)
    assert [c["transactionKey"] for c in at_toss["cancels"]] == [made["transactionKey"]]


async def test_partial_cancel_then_the_rest(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    first = await cancel(api, alice, _ask(amount=3000))
    assert first["errors"] == []
    assert first["order"]["status"] == "PARTIALLY_CANCELED"
    assert first["order"]["payment"]["balanceAmount"] == 7000
    assert (await toss_payment(sandbox_client, order["orderId"]))["balanceAmount"] == 7000

    rest = await cancel(api, alice, _ask())
    assert rest["errors"] == []
    assert rest["cancel"]["cancelAmount"] == 7000
    assert rest["order"]["status"] == "CANCELED"
    assert [c["cancelAmount"] for c in rest["order"]["cancels"]] == [3000, 7000]
    at_toss = await toss_payment(sandbox_client, order["orderId"])
    assert (at_toss["status"], at_toss["balanceAmount"]) == ("CANCELED", 0)


async def test_retry_with_the_same_key_refunds_once(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    first = await cancel(api, alice, _ask(amount=1000, idempotencyKey="refund-1"))
    again = await cancel(api, alice, _ask(amount=1000, idempotencyKey="refund-1"))
    assert again["errors"] == []
    assert again["cancel"] == first["cancel"]
    at_toss = await toss_payment(sandbox_client, order["orderId"])
    assert (at_toss["balanceAmount"], len(at_toss["cancels"])) == (9000, 1)


async def test_same_key_with_another_amount_is_refused(
    api: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    await cancel(api, alice, _ask(amount=1000, idempotencyKey="refund-1"))
    payload = await cancel(api, alice, _ask(amount=2000, idempotencyKey="refund-1"))
    assert [e["code"] for e in payload["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_over_balance_is_refused(
    api: httpx.AsyncClient, sandbox_client: httpx.AsyncClient, alice: str, order: dict[str, Any]
) -> None:
    payload = await cancel(api, alice, _ask(amount=10001))
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("CANCEL_AMOUNT_EXCEEDED", "amount")
    ]
    assert (await toss_payment(sandbox_client, order["orderId"]))["balanceAmount"] == 10000


async def test_ambiguous_names_list_the_candidates_and_order_id_picks_one(
    api: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    alice: str,
    admin: str,
    order: dict[str, Any],
) -> None:
    second = await paid_order(api, sandbox_client, admin, SUBSCRIPTION)
    payload = await cancel(api, alice, _ask())
    error = payload["errors"][0]
    assert error["code"] == "AMBIGUOUS_ORDER"
    assert order["orderId"] in error["message"] and second["orderId"] in error["message"]

    chosen = await cancel(api, alice, _ask(orderId=second["orderId"]))
    assert chosen["errors"] == []
    assert chosen["order"]["orderId"] == second["orderId"]
    untouched = await toss_payment(sandbox_client, order["orderId"])
    assert untouched["status"] == "DONE"


async def test_another_buyer_is_forbidden(
    api: httpx.AsyncClient, mallory: str, order: dict[str, Any]
) -> None:
    payload = await cancel(api, mallory, _ask())
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    missing = await cancel(api, mallory, _ask(orderName="no such order"))
    assert [e["code"] for e in missing["errors"]] == ["FORBIDDEN"]


async def test_admin_cancels_for_a_buyer(
    api: httpx.AsyncClient, admin: str, order: dict[str, Any]
) -> None:
    payload = await cancel(api, admin, _ask(amount=500))
    assert payload["errors"] == []
    assert payload["cancel"]["buyer"] == "alice"


async def test_cancels_query_is_scoped_and_pages(
    api: httpx.AsyncClient, alice: str, mallory: str, admin: str, order: dict[str, Any]
) -> None:
    for amount in (1000, 2000, 3000):
        assert (await cancel(api, alice, _ask(amount=amount)))["errors"] == []
    page = (await graphql(api, CANCELS, {"first": 2}, alice))["data"]["cancels"]
    assert [e["node"]["cancelAmount"] for e in page["edges"]] == [3000, 2000]
    rest = (
        await graphql(api, CANCELS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, alice)
    )["data"]["cancels"]
    assert [e["node"]["cancelAmount"] for e in rest["edges"]] == [1000]
    assert rest["pageInfo"]["hasNextPage"] is False

    assert (await graphql(api, CANCELS, {}, mallory))["data"]["cancels"]["edges"] == []
    refused = await graphql(api, CANCELS, {"buyer": "alice"}, mallory)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    by_admin = await graphql(api, CANCELS, {"buyer": "alice", "orderId": order["orderId"]}, admin)
    assert len(by_admin["data"]["cancels"]["edges"]) == 3


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"amount": 0}, "amount"), ({"reason": ""}, "reason"), ({"reason": "x" * 201}, "reason")],
)
async def test_bad_cancel_arguments_are_invalid_input(
    api: httpx.AsyncClient, alice: str, extra: dict[str, Any], field: str
) -> None:
    payload = await cancel(api, alice, _ask(**extra))
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", field)]
