"""cancelPayment by buyer and order name, the cancels query, and Toss agreeing, on both
databases with the sandbox as a real process."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest

from tests.integration.audit_log import audit_log
from tests.support.flows import ORDER, cancel, graphql, paid_order, toss_payment
from toss_graphql.composition import gateway_config
from toss_graphql.config import Settings
from toss_graphql.db.engine import create_database_engine
from toss_graphql.db.reads import order_reads
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.domain.cancel import CancelArguments, CancelResult, cancel_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import CancelRequest, CancelRequestStatus, Principal
from toss_graphql.domain.ports.gateway import GatewayRejected, TossPayment
from toss_graphql.domain.services import Services
from toss_graphql.gateway.client import TossGateway, TossGatewayConfig, create_http_client

pytestmark = pytest.mark.usefixtures("catalog")

CANCELS = """
query Cancels($buyer: String, $orderId: ID, $first: Int, $after: String) {
  cancels(buyer: $buyer, orderId: $orderId, first: $first, after: $after) {
    edges { cursor node { transactionKey orderId buyer orderName cancelAmount cancelReason } }
    pageInfo { hasNextPage endCursor }
  }
}"""

SUBSCRIPTION = {"orderName": "정기 구독", "amount": 10000, "buyer": "alice"}

Gateway = TypeVar("Gateway", bound=TossGateway)


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


async def stored_request(database_url: str, buyer: str, client_key: str) -> CancelRequest:
    engine = create_database_engine(database_url)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            request = await uow.cancel_requests.get_by_client_key(buyer, client_key)
    finally:
        await engine.dispose()
    assert request is not None
    return request


async def cancel_keys_at_toss(sandbox: httpx.AsyncClient, payment_key: str) -> list[str]:
    """The Idempotency-Keys of the cancels of `payment_key` that reached the sandbox."""
    response = await sandbox.get(
        "/admin/requests", params={"path": f"/v1/payments/{payment_key}/cancel"}
    )
    response.raise_for_status()
    return [entry["idempotencyKey"] for entry in response.json()["requests"]]


async def test_succeeded_request_is_stored_with_its_send_time_and_key(
    api: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    alice: str,
    order: dict[str, Any],
    clean_database: str,
) -> None:
    before = datetime.now(UTC)
    payload = await cancel(api, alice, _ask(amount=1000, idempotencyKey="refund-sent"))
    after = datetime.now(UTC)
    assert payload["errors"] == []

    request = await stored_request(clean_database, "alice", "refund-sent")
    assert request.status is CancelRequestStatus.SUCCEEDED
    assert request.transaction_key == payload["cancel"]["transactionKey"]
    assert request.sent_at is not None
    assert before <= request.sent_at <= after
    sent = await cancel_keys_at_toss(sandbox_client, payload["cancel"]["paymentKey"])
    assert sent == [request.toss_idempotency_key]


class RefusesTheFirstCancel(TossGateway):
    """The real client to the sandbox, except that its first cancel is refused as Toss
    refuses a second cancel of one payment within a second, without reaching the sandbox."""

    def __init__(self, http_client: httpx.AsyncClient, config: TossGatewayConfig) -> None:
        super().__init__(http_client, config)
        self.refused_keys: list[str] = []

    async def cancel(self, **arguments: Any) -> TossPayment:
        if not self.refused_keys:
            self.refused_keys.append(arguments["idempotency_key"])
            raise GatewayRejected("FORBIDDEN_CONSECUTIVE_REQUEST", "반복적인 요청", 403)
        return await super().cancel(**arguments)


class MisreportsTheCancel(TossGateway):
    """The real client to the sandbox, except that the reply to a cancel the sandbox carried
    out still shows the whole amount as the balance."""

    async def cancel(self, **arguments: Any) -> TossPayment:
        carried_out = await super().cancel(**arguments)
        return dataclasses.replace(carried_out, balance_amount=carried_out.total_amount)


async def no_sleep(_: float) -> None:
    """A made-up refusal leaves no second of Toss's to wait out."""


async def cancel_through(
    gateway_class: type[Gateway], settings: Settings, client_key: str
) -> tuple[Gateway, CancelResult | DomainError]:
    """Cancel 1000 KRW of alice's subscription in this process, on the test's database, with
    `gateway_class` talking to the sandbox; the refusal is returned, not raised."""
    config = gateway_config(settings)
    engine = create_database_engine(settings.resolved_database_url())
    try:
        async with create_http_client(config) as http_client, order_reads(engine) as reads:
            gateway = gateway_class(http_client, config)
            services = Services(
                unit_of_work=UnitOfWorkFactory(engine), reads=reads, gateway=gateway, sleep=no_sleep
            )
            arguments = CancelArguments(
                buyer="alice",
                order_name="정기 구독",
                reason="고객 변심",
                amount=1000,
                idempotency_key=client_key,
            )
            try:
                return gateway, await cancel_payment(services, Principal("alice"), arguments)
            except DomainError as refusal:
                return gateway, refusal
    finally:
        await engine.dispose()


async def test_consecutive_request_retry_stores_the_key_toss_carried_out(
    sandbox_client: httpx.AsyncClient,
    order: dict[str, Any],
    settings: Settings,
    clean_database: str,
) -> None:
    before = datetime.now(UTC)
    gateway, result = await cancel_through(RefusesTheFirstCancel, settings, "refund-consecutive")
    after = datetime.now(UTC)
    assert isinstance(result, CancelResult) and result.cancel is not None

    request = await stored_request(clean_database, "alice", "refund-consecutive")
    sent = await cancel_keys_at_toss(sandbox_client, result.cancel.payment_key)
    assert sent == [request.toss_idempotency_key] == [f"{gateway.refused_keys[0]}.1"]
    assert request.status is CancelRequestStatus.SUCCEEDED
    assert request.transaction_key == result.cancel.transaction_key
    assert request.sent_at is not None
    assert before <= request.sent_at <= after


async def test_reply_mismatch_audit_is_committed_before_the_refusal(
    order: dict[str, Any], settings: Settings, clean_database: str
) -> None:
    _, result = await cancel_through(MisreportsTheCancel, settings, "refund-misreported")
    assert isinstance(result, DomainError)
    assert result.code is ErrorCode.PAYMENT_PENDING

    events = await audit_log(clean_database, order["orderId"])
    mismatches = [e.detail["fields"] for e in events if e.event_type == "CANCEL_REPLY_MISMATCH"]
    assert mismatches == [["balanceAmount", "cancels"]]
    request = await stored_request(clean_database, "alice", "refund-misreported")
    assert request.status is CancelRequestStatus.PENDING


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
