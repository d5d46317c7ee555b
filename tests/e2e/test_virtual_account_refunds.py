"""Virtual accounts end to end on a real `serve` and the sandbox over loopback HTTP: issued at
confirm, paid by the sandbox's deposit through DEPOSIT_CALLBACK, and refunded to a bank account
the buyer names (Toss's `refundReceiveAccount`, docs/toss-api.md §2.4), which is sent to Toss
and kept masked: never whole in the database or the log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import token_for
from tests.e2e.test_webhooks import eventually, send_webhooks_to
from tests.support.flows import CANCEL, checkout, create_order, graphql, order_status
from tests.support.servers import ServerProcess
from tests.support.subscriptions import statuses, ws_session
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.tables import CancelRequestRow
from toss_graphql.domain.models import Role

pytestmark = pytest.mark.e2e

ISSUE = """
mutation($k: String!, $o: ID!, $a: Int!) {
  confirmPayment(paymentKey: $k, orderId: $o, amount: $a) {
    order { status } payment { virtualAccount { accountNumber bankCode dueDate } }
    errors { code }
  }
}"""

CANCEL_TO_ACCOUNT = """
mutation($buyer: String!, $orderName: String!, $account: RefundReceiveAccountInput) {
  cancelPayment(buyer: $buyer, orderName: $orderName, reason: "단순 변심",
                refundReceiveAccount: $account) {
    order { status cancels { cancelAmount } }
    errors { code field gatewayCode }
  }
}"""

ACCOUNT = {"bank": "88", "accountNumber": "110-987-654321", "holderName": "김토스"}


async def _deposited_order(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, served_api: ServerProcess, token: str
) -> tuple[dict[str, Any], str]:
    await send_webhooks_to(sandbox, f"{served_api.url}/webhooks/toss")
    order = await create_order(client, token, {"lines": [{"sku": "beans-1kg"}]})
    redirect = await checkout(sandbox, order, method="VIRTUAL_ACCOUNT")
    issued = await graphql(
        client,
        ISSUE,
        {"k": redirect["paymentKey"], "o": order["orderId"], "a": order["amount"]},
        token,
    )
    assert issued["data"]["confirmPayment"]["order"]["status"] == "WAITING_FOR_DEPOSIT"
    deposit = await sandbox.post(f"/admin/virtual-accounts/{redirect['paymentKey']}/deposit")
    assert deposit.status_code == 200, deposit.text

    async def paid() -> bool:
        shown = await order_status(client, token, order["orderId"])
        return bool(shown["status"] == "PAID")

    await eventually(paid)
    return order, redirect["paymentKey"]


async def _cancel(
    client: httpx.AsyncClient, token: str, order: dict[str, Any], account: Any
) -> dict[str, Any]:
    variables = {"buyer": "alice", "orderName": order["orderName"], "account": account}
    payload: dict[str, Any] = (await graphql(client, CANCEL_TO_ACCOUNT, variables, token))["data"][
        "cancelPayment"
    ]
    return payload


async def test_a_deposited_account_is_refunded_only_to_a_named_account_kept_masked(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    served_api: ServerProcess,
    clean_database: str,
) -> None:
    alice = token_for("alice")
    order, payment_key = await _deposited_order(served_client, reset_sandbox, served_api, alice)

    without = await _cancel(served_client, alice, order, None)
    malformed = await _cancel(served_client, alice, order, {**ACCOUNT, "bank": "신한"})
    refunded = await _cancel(served_client, alice, order, ACCOUNT)

    assert [(e["code"], e["field"]) for e in without["errors"]] == [
        ("REFUND_ACCOUNT_REQUIRED", "refundReceiveAccount")
    ]
    assert [(e["code"], e["field"]) for e in malformed["errors"]] == [
        ("INVALID_INPUT", "refundReceiveAccount.bank")
    ]
    assert refunded["errors"] == [], refunded
    assert refunded["order"]["status"] == "CANCELED"
    # Toss was asked once, with the account (the refusals never reached it).
    refunds = (await reset_sandbox.get(f"/admin/virtual-accounts/{payment_key}/refunds")).json()
    assert [(r["bank"], r["accountNumber"], r["holderName"]) for r in refunds["refunds"]] == [
        ("88", "110987654321", "김토스")
    ]
    engine = create_database_engine(clean_database)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(CancelRequestRow.__table__))).mappings().all()
    finally:
        await engine.dispose()
    assert [row["refund_account_masked"] for row in rows] == ["88 ********4321 김*스"]
    assert "987654321" not in served_api.log() and "김토스" not in served_api.log()


async def test_a_card_order_cancels_as_before_without_an_account(
    served_client: httpx.AsyncClient, reset_sandbox: httpx.AsyncClient
) -> None:
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(reset_sandbox, order)
    await graphql(
        served_client,
        ISSUE,
        {"k": redirect["paymentKey"], "o": order["orderId"], "a": order["amount"]},
        alice,
    )

    canceled = (
        await graphql(
            served_client,
            CANCEL,
            {"buyer": "alice", "orderName": order["orderName"], "reason": "변심"},
            alice,
        )
    )["data"]["cancelPayment"]

    assert canceled["errors"] == []
    assert canceled["order"]["status"] == "CANCELED"


async def _issued_order(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, token: str
) -> tuple[dict[str, Any], str]:
    order = await create_order(client, token, {"lines": [{"sku": "beans-1kg"}]})
    redirect = await checkout(sandbox, order, method="VIRTUAL_ACCOUNT")
    issued = await graphql(
        client,
        ISSUE,
        {"k": redirect["paymentKey"], "o": order["orderId"], "a": order["amount"]},
        token,
    )
    assert issued["data"]["confirmPayment"]["order"]["status"] == "WAITING_FOR_DEPOSIT"
    return order, redirect["paymentKey"]


async def test_an_account_past_its_due_date_takes_no_deposit_and_is_closed_whole(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    served_api: ServerProcess,
) -> None:
    """Toss keeps an unpaid account WAITING_FOR_DEPOSIT past its dueDate and sends nothing
    (docs/toss-api.md §3.2); the order waits too, its account takes no money, and the buyer
    closes it with cancelPayment: whole, with no refund account."""
    await send_webhooks_to(reset_sandbox, f"{served_api.url}/webhooks/toss")
    alice = token_for("alice")
    order, payment_key = await _issued_order(served_client, reset_sandbox, alice)
    advance = {"advanceSeconds": 8 * 24 * 3600}  # past the 7-day validity
    (await reset_sandbox.post("/admin/clock", json=advance)).raise_for_status()

    late = await reset_sandbox.post(f"/admin/virtual-accounts/{payment_key}/deposit")
    waiting = await order_status(served_client, alice, order["orderId"])
    partial = await graphql(
        served_client,
        CANCEL,
        {"buyer": "alice", "orderName": order["orderName"], "reason": "만료", "amount": 100},
        alice,
    )
    closed = await _cancel(served_client, alice, order, None)

    assert late.status_code == 409 and late.json()["code"] == "EXPIRED_VIRTUAL_ACCOUNT"
    assert waiting["status"] == "WAITING_FOR_DEPOSIT"
    assert [e["code"] for e in partial["data"]["cancelPayment"]["errors"]] == ["NOT_CANCELABLE"]
    assert closed["errors"] == [], closed
    # Closed, not refunded: no money moved, so no cancel enters the books.
    assert closed["order"] == {"status": "CANCELED", "cancels": []}
    toss = await reset_sandbox.get(f"/v1/payments/{payment_key}", auth=("test_sk_sandbox", ""))
    assert toss.json()["status"] == "CANCELED"


async def test_a_reversed_deposit_is_handed_to_an_operator_losing_no_fact(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    served_api: ServerProcess,
) -> None:
    alice = token_for("alice")
    admin = token_for("ops", Role.ADMIN)
    order, payment_key = await _deposited_order(served_client, reset_sandbox, served_api, alice)

    reversed_ = await reset_sandbox.post(f"/admin/virtual-accounts/{payment_key}/deposit-error")
    assert reversed_.status_code == 200, reversed_.text

    async def flagged() -> bool:
        shown = await graphql(
            served_client,
            "query($o: ID!) { order(orderId: $o) { status attention payment { paymentKey } } }",
            {"o": order["orderId"]},
            admin,
        )
        return bool(shown["data"]["order"]["attention"])

    await eventually(flagged)
    shown = (
        await graphql(
            served_client,
            "query($o: ID!) { order(orderId: $o) { status attention payment { paymentKey } } }",
            {"o": order["orderId"]},
            admin,
        )
    )["data"]["order"]
    assert shown["attention"] == "Toss reversed the virtual-account deposit of this paid order"
    assert shown["payment"] == {"paymentKey": payment_key}


async def test_a_follower_sees_the_account_issued_then_paid_by_the_deposit(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    served_api: ServerProcess,
) -> None:
    await send_webhooks_to(reset_sandbox, f"{served_api.url}/webhooks/toss")
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "beans-1kg"}]})
    async with ws_session(served_api.url, alice) as session:
        await session.follow("1", order["orderId"])
        await session.orders("1", until=lambda o: o["status"] == "PENDING")
        redirect = await checkout(reset_sandbox, order, method="VIRTUAL_ACCOUNT")
        await graphql(
            served_client,
            ISSUE,
            {"k": redirect["paymentKey"], "o": order["orderId"], "a": order["amount"]},
            alice,
        )
        issued = await session.orders("1", until=lambda o: o["status"] == "WAITING_FOR_DEPOSIT")
        deposit = await reset_sandbox.post(
            f"/admin/virtual-accounts/{redirect['paymentKey']}/deposit"
        )
        assert deposit.status_code == 200, deposit.text
        paid = await session.orders("1", until=lambda o: o["status"] == "PAID")

    # The buyer made no call after the confirm: the deposit arrived by webhook alone.
    assert issued[-1]["payment"]["paymentKey"] == redirect["paymentKey"]
    assert statuses(paid)[-1] == "PAID"
