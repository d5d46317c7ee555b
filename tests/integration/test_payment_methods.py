"""A payment of each method, confirmed through the real confirm path against a gateway that
answers Toss's reply, is stored on a real database and read back through GraphQL with its
method details (toss-api.md §3): on both databases, by the short path for plain fields and by
graphql-core's own execution (schema/execution.py), over the read path and the repositories
alike. And only the order's buyer and admins see a mobile phone number."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from tests.gateway.payloads import (
    easy_pay_payment_json,
    mobile_phone_payment_json,
    payment_json,
    transfer_payment_json,
)
from tests.support.fakes import FakeGateway
from toss_graphql.db.reads import order_reads
from toss_graphql.db.unit_of_work import UnitOfWorkFactory
from toss_graphql.domain.models import Order, OrderStatus, Payment, Principal, Role
from toss_graphql.domain.ports.gateway import TossPayment, TossPaymentStatus
from toss_graphql.domain.services import Services
from toss_graphql.gateway.payment_json import parse_payment
from toss_graphql.schema.context import Context
from toss_graphql.schema.schema import build_schema

AMOUNT = 10000
ORDER_ID = "ord_methods_0001"
PAYMENT_KEY = "tgen_methods_0001"
ALICE = Principal("alice")
MALLORY = Principal("mallory")
ADMIN = Principal("ops", Role.ADMIN)

SHOWN = """
  fragment Shown on Payment {
    method
    card { company number installmentPlanMonths }
    easyPay { provider amount discountAmount }
    transfer { bank bankCode }
    mobilePhone { customerMobilePhone receiptUrl }
    receiptUrl
  }
"""
CONFIRM = (
    """
mutation Confirm($paymentKey: String!, $orderId: ID!, $amount: Int!) {
  confirmPayment(paymentKey: $paymentKey, orderId: $orderId, amount: $amount) {
    payment { ...Shown }
    errors { code }
  }
}"""
    + SHOWN
)
ORDER = "query Order($orderId: ID!) { order(orderId: $orderId) { payment { ...Shown } } }" + SHOWN
ORDERS = "{ orders(first: 10) { edges { node { orderId payment { ...Shown } } } } }" + SHOWN

RECEIPT_URL = payment_json()["receipt"]["url"]
NO_DETAILS: dict[str, Any] = {
    "card": None,
    "easyPay": None,
    "transfer": None,
    "mobilePhone": None,
    "receiptUrl": RECEIPT_URL,
}
# Each payment as Toss answers the confirm, and as the API shows it afterwards.
PAYMENTS: dict[str, tuple[Callable[..., dict[str, Any]], dict[str, Any]]] = {
    "card": (
        payment_json,
        {
            **NO_DETAILS,
            "method": "카드",
            "card": {"company": "롯데", "number": "12345678****000*", "installmentPlanMonths": 0},
        },
    ),
    "easy pay": (
        easy_pay_payment_json,
        {
            **NO_DETAILS,
            "method": "간편결제",
            "easyPay": {"provider": "토스페이", "amount": AMOUNT, "discountAmount": 0},
        },
    ),
    "transfer": (
        transfer_payment_json,
        {**NO_DETAILS, "method": "계좌이체", "transfer": {"bank": "신한", "bankCode": "88"}},
    ),
    "mobile phone": (
        mobile_phone_payment_json,
        {
            **NO_DETAILS,
            "method": "휴대폰",
            "mobilePhone": {
                "customerMobilePhone": "01012345678",
                "receiptUrl": mobile_phone_payment_json()["mobilePhone"]["receiptUrl"],
            },
        },
    ),
}


class _NoLimits:
    async def check(self, buyer: str | None, address: str | None) -> int | None:
        return None


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
async def services(engine: AsyncEngine, gateway: FakeGateway) -> AsyncIterator[Services]:
    async with order_reads(engine) as reads:
        yield Services(unit_of_work=UnitOfWorkFactory(engine), reads=reads, gateway=gateway)


@pytest.fixture(params=["short path", "graphql-core"])
def schema(request: pytest.FixtureRequest) -> strawberry.Schema:
    """The API's schema, as it runs, or executed by Strawberry's own context: the stock path
    the short path for plain fields must answer exactly like."""
    built = build_schema()
    if request.param == "graphql-core":
        built.execution_context_class = StrawberryGraphQLCoreExecutionContext
    return built


@pytest.fixture
async def order(engine: AsyncEngine) -> Order:
    now = datetime.now(UTC)
    placed = Order(ORDER_ID, "alice", "아메리카노 2잔", AMOUNT, OrderStatus.PENDING, now, now)
    async with UnitOfWorkFactory(engine)() as uow:
        await uow.orders.add(placed, [])
    return placed


async def execute(
    schema: strawberry.Schema,
    services: Services,
    principal: Principal,
    document: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    context = Context(
        request=Request({"type": "http", "headers": [], "client": ("127.0.0.1", 50000)}),
        response=None,
        services=services,
        principal=principal,
        rate_limiter=_NoLimits(),
    )
    result = await schema.execute(document, context_value=context, variable_values=variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def confirm(
    schema: strawberry.Schema, services: Services, gateway: FakeGateway, reply: dict[str, Any]
) -> dict[str, Any]:
    """Confirm alice's order as she would, Toss answering `reply`; the payload's payment."""
    gateway.confirm_outcome = parse_payment(reply)
    variables = {"paymentKey": PAYMENT_KEY, "orderId": ORDER_ID, "amount": AMOUNT}
    payload = (await execute(schema, services, ALICE, CONFIRM, variables))["confirmPayment"]
    assert payload["errors"] == []
    shown: dict[str, Any] = payload["payment"]
    return shown


async def shown_payment(
    schema: strawberry.Schema, services: Services, principal: Principal
) -> dict[str, Any] | None:
    data = await execute(schema, services, principal, ORDER, {"orderId": ORDER_ID})
    return None if data["order"] is None else dict(data["order"]["payment"])


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize("kind", sorted(PAYMENTS))
async def test_a_confirmed_payment_reads_back_its_method_details(
    kind: str, schema: strawberry.Schema, services: Services, gateway: FakeGateway
) -> None:
    reply, expected = PAYMENTS[kind]

    confirmed = await confirm(
        schema, services, gateway, reply(payment_key=PAYMENT_KEY, order_id=ORDER_ID)
    )

    assert confirmed == expected
    assert await shown_payment(schema, services, ALICE) == expected
    page = await execute(schema, services, ALICE, ORDERS)
    assert [edge["node"]["payment"] for edge in page["orders"]["edges"]] == [expected]


def _details(payment: Payment | TossPayment) -> tuple[object, ...]:
    return (
        payment.virtual_account,
        payment.card,
        payment.easy_pay,
        payment.transfer,
        payment.mobile_phone,
    )


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize("kind", sorted(PAYMENTS))
async def test_the_read_path_and_the_repositories_read_the_details_toss_sent(
    kind: str, engine: AsyncEngine, services: Services, gateway: FakeGateway
) -> None:
    reply = PAYMENTS[kind][0](payment_key=PAYMENT_KEY, order_id=ORDER_ID)
    await confirm(build_schema(), services, gateway, reply)

    read = (await services.reads.payments([ORDER_ID]))[ORDER_ID]
    async with UnitOfWorkFactory(engine)() as uow:
        stored = (await uow.payments.get_many_by_order_id([ORDER_ID]))[ORDER_ID]

    assert _details(read) == _details(stored) == _details(parse_payment(reply))


@pytest.mark.usefixtures("order")
async def test_a_mobile_phone_number_is_shown_to_the_buyer_and_admins_only(
    schema: strawberry.Schema, services: Services, gateway: FakeGateway
) -> None:
    reply = mobile_phone_payment_json(payment_key=PAYMENT_KEY, order_id=ORDER_ID)
    await confirm(schema, services, gateway, reply)

    for principal in (ALICE, ADMIN):
        shown = await shown_payment(schema, services, principal)
        assert shown is not None
        assert shown["mobilePhone"]["customerMobilePhone"] == "01012345678"
    assert await shown_payment(schema, services, MALLORY) is None
    assert (await execute(schema, services, MALLORY, ORDERS))["orders"]["edges"] == []


@pytest.mark.usefixtures("order")
async def test_odd_method_objects_in_the_stored_json_read_as_null(
    schema: strawberry.Schema, engine: AsyncEngine, services: Services
) -> None:
    # SQLite's json_extract hands back a string unquoted and a number as a number: neither is
    # JSON text, and neither may stop the payment from being read.
    raw = {
        "virtualAccount": "X1234",
        "card": 43301234,
        "easyPay": ["토스페이"],
        "transfer": True,
        "mobilePhone": "01012345678",
    }
    payment = Payment(
        payment_key=PAYMENT_KEY,
        order_id=ORDER_ID,
        method="카드",
        total_amount=AMOUNT,
        balance_amount=AMOUNT,
        toss_status=TossPaymentStatus.DONE,
        approved_at=datetime.now(UTC),
        receipt_url=RECEIPT_URL,
        raw=raw,
    )
    async with UnitOfWorkFactory(engine)() as uow:
        await uow.payments.save(payment, datetime.now(UTC))

    read = (await services.reads.payments([ORDER_ID]))[ORDER_ID]
    assert _details(read) == (None,) * 5
    assert await shown_payment(schema, services, ALICE) == {**NO_DETAILS, "method": "카드"}
