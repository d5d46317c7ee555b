"""`toss-graphql reconcile` with one order it cannot settle: that order is reported, retried,
and in time handed to an operator; every other order is still settled. Real processes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from tests.conftest import token_for
from tests.support.flows import checkout, confirm, create_order, graphql, order_status
from tests.support.outages import CONFIRM_PATH, lose_replies, reconcile
from tests.support.servers import ServerProcess
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.tables import Base, OrderRow, PaymentRow

pytestmark = pytest.mark.e2e

CONFIRM_VIRTUAL_ACCOUNT = """
mutation($k: String!, $o: ID!, $a: Int!) {
  confirmPayment(paymentKey: $k, orderId: $o, amount: $a) { order { status } errors { code } }
}"""
# The settings of the module's `served_api` (tests/e2e/conftest.py).
SERVE_SETTINGS = {"TOSS_TIMEOUT_SECONDS": "1"}


async def confirm_reply_lost(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, token: str
) -> dict[str, Any]:
    """An order Toss approved whose confirm reply never came: CONFIRMING here."""
    order = await create_order(client, token, {"lines": [{"sku": "americano"}]})
    redirect = await checkout(sandbox, order)
    await lose_replies(sandbox, CONFIRM_PATH)
    payload = await confirm(client, token, redirect)
    assert [e["code"] for e in payload["errors"]] == ["PAYMENT_PENDING"], payload
    return order


async def add_stray_payment(database_url: str, order_id: str) -> None:
    """A payments row for the order under a key Toss never gave it: settling the order then
    inserts its real payment, which the unique order_id refuses, on either database."""
    now = datetime.now(UTC)
    engine = create_database_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(Base.metadata.tables[PaymentRow.__tablename__]).values(
                    payment_key="tgen_stray_row",
                    order_id=order_id,
                    method="카드",
                    total_amount=4500,
                    balance_amount=4500,
                    toss_status="DONE",
                    approved_at=now,
                    receipt_url=None,
                    raw={},
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        await engine.dispose()


async def attention_of(database_url: str, order_id: str) -> str | None:
    engine = create_database_engine(database_url)
    try:
        async with engine.connect() as connection:
            attention: str | None = (
                await connection.execute(
                    select(OrderRow.attention).where(OrderRow.order_id == order_id)
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return attention


async def test_one_order_that_cannot_be_settled_does_not_stop_the_run(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    clean_database: str,
    tmp_path: Path,
) -> None:
    alice = token_for("alice")
    # The older of the two, so the run examines it first.
    stuck = await confirm_reply_lost(served_client, reset_sandbox, alice)
    lost = await confirm_reply_lost(served_client, reset_sandbox, alice)
    await add_stray_payment(clean_database, stuck["orderId"])

    run = reconcile(clean_database, sandbox_server.url, tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert f"{stuck['orderId']}: failed" in run.stdout, output
    assert f"{lost['orderId']}: settled" in run.stdout, output
    assert (
        "examined 2: settled 1, unchanged 0, locked by another worker 0, Toss unreachable 0, "
        "failed 1, handed to an operator 0"
    ) in run.stdout, output
    errors = [line for line in run.stderr.splitlines() if " ERROR " in line]
    assert any(stuck["orderId"] in line for line in errors), output
    assert (await order_status(served_client, alice, lost["orderId"]))["status"] == "PAID"
    assert (await order_status(served_client, alice, stuck["orderId"]))["status"] == "CONFIRMING"
    assert await attention_of(clean_database, stuck["orderId"]) is None

    # Still failing once past RECONCILE_GIVE_UP_AFTER_SECONDS: an operator's now.
    overdue = reconcile(
        clean_database,
        sandbox_server.url,
        tmp_path,
        {"RECONCILE_GIVE_UP_AFTER_SECONDS": "0"},
    )
    assert overdue.returncode == 1, overdue.stdout + overdue.stderr
    assert f"{stuck['orderId']}: gave_up" in overdue.stdout
    assert "examined 1:" in overdue.stdout and "handed to an operator 1" in overdue.stdout
    assert await attention_of(clean_database, stuck["orderId"]) is not None

    after = reconcile(clean_database, sandbox_server.url, tmp_path)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "examined 0:" in after.stdout, "an order handed to an operator is left to them"


async def test_a_virtual_account_with_a_nul_in_its_customer_name_stops_no_other_order(
    served_client: httpx.AsyncClient,
    reset_sandbox: httpx.AsyncClient,
    sandbox_server: ServerProcess,
    clean_database: str,
    tmp_path: Path,
) -> None:
    """The issue's own case. Unless the gateway scrubs the NUL from Toss's reply, PostgreSQL
    refuses it in `payments.raw` (JSONB): the confirm fails, the order stays CONFIRMING and
    cannot be settled. Either way the next order's lost reply is settled, and the run's
    summary counts both."""
    alice = token_for("alice")
    order = await create_order(served_client, alice, {"lines": [{"sku": "beans-1kg"}]})
    redirect = await checkout(
        reset_sandbox, order, method="VIRTUAL_ACCOUNT", customerName="김\x00토스"
    )
    variables = {"k": redirect["paymentKey"], "o": order["orderId"], "a": order["amount"]}
    await graphql(served_client, CONFIRM_VIRTUAL_ACCOUNT, variables, alice)
    lost = await confirm_reply_lost(served_client, reset_sandbox, alice)

    run = reconcile(clean_database, sandbox_server.url, tmp_path)
    output = run.stdout + run.stderr
    assert "examined 2:" in run.stdout, output
    assert f"{lost['orderId']}: settled" in run.stdout, output
    failed = f"{order['orderId']}: failed" in run.stdout
    assert run.returncode == (1 if failed else 0), output
    assert (await order_status(served_client, alice, lost["orderId"]))["status"] == "PAID"
