"""An order's name is one name however it was typed: kept in NFC, looked up in either form,
and refused with an invisible format character in it, on both databases."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.money.support import ADMIN, ALICE, paid_order
from tests.support.flows import CREATE_ORDER, cancel, graphql
from toss_graphql.db.tables import OrderRow
from toss_graphql.domain.cancel import CancelArguments, cancel_payment
from toss_graphql.domain.errors import DomainError, ErrorCode
from toss_graphql.domain.models import Order, OrderStatus
from toss_graphql.domain.orders import CreateOrderRequest, create_order
from toss_graphql.domain.services import Services

COMPOSED = unicodedata.normalize("NFC", "Café 라테")
DECOMPOSED = unicodedata.normalize("NFD", "Café 라테")
# A zero-width space, a right-to-left override, a left-to-right mark, a byte-order mark.
INVISIBLE = ["Café\u200b 라테", "Café \u202e라테", "Café 라테\u200e", "\ufeffCafé 라테"]


def _cancel_by(name: str) -> CancelArguments:
    return CancelArguments(buyer="alice", order_name=name, reason="변심")


async def test_two_forms_of_one_name_are_one_name_and_cancel_by_name_is_ambiguous(
    services: Services,
) -> None:
    assert COMPOSED != DECOMPOSED
    first = await paid_order(services, COMPOSED, key="tgen_first")
    second = await paid_order(services, DECOMPOSED, key="tgen_second")
    assert first.order_name == second.order_name == COMPOSED

    for typed in (COMPOSED, DECOMPOSED):
        with pytest.raises(DomainError) as refused:
            await cancel_payment(services, ALICE, _cancel_by(typed))
        assert refused.value.code is ErrorCode.AMBIGUOUS_ORDER
    async with services.unit_of_work() as uow:
        for order in (first, second):
            stored = await uow.orders.get(order.order_id)
            assert stored is not None and stored.status is OrderStatus.PAID


async def test_a_name_stored_decomposed_before_is_found_in_either_form(
    services: Services,
) -> None:
    # As a release before names were kept in NFC stored it.
    now = datetime(2026, 11, 1, tzinfo=UTC)
    older = Order(
        order_id="ord_stored_before_nfc",
        buyer="alice",
        order_name=DECOMPOSED,
        amount=5000,
        status=OrderStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    async with services.unit_of_work() as uow:
        await uow.orders.add(older, [])
    for typed in (COMPOSED, DECOMPOSED):
        async with services.unit_of_work() as uow:
            found = await uow.orders.find_by_name("alice", typed)
        assert [order.order_id for order in found] == [older.order_id]

    newer = await create_order(
        services, ADMIN, CreateOrderRequest(order_name=COMPOSED, amount=7000, buyer="alice")
    )
    async with services.unit_of_work() as uow:
        found = await uow.orders.find_by_name("alice", DECOMPOSED)
    assert [order.order_id for order in found] == [older.order_id, newer.order_id]


async def _create(api: httpx.AsyncClient, token: str, name: str) -> dict[str, Any]:
    body = await graphql(
        api,
        CREATE_ORDER,
        {"input": {"orderName": name, "amount": 10000, "buyer": "alice"}},
        token,
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createOrder"]
    return payload


async def test_create_order_answers_a_decomposed_name_composed(
    api: httpx.AsyncClient, admin: str
) -> None:
    payload = await _create(api, admin, DECOMPOSED)
    assert payload["errors"] == []
    assert payload["order"]["orderName"] == COMPOSED


@pytest.mark.parametrize("name", INVISIBLE)
async def test_create_order_refuses_a_name_with_an_invisible_character_typed(
    api: httpx.AsyncClient, admin: str, name: str
) -> None:
    payload = await _create(api, admin, name)
    assert payload["order"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "orderName")
    assert "format characters" in error["message"]


@pytest.mark.parametrize("name", INVISIBLE)
async def test_cancel_payment_refuses_a_name_with_an_invisible_character_typed(
    api: httpx.AsyncClient, alice: str, name: str
) -> None:
    payload = await cancel(api, alice, {"buyer": "alice", "orderName": name, "reason": "변심"})
    assert payload["order"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "orderName")


async def test_a_name_stored_with_a_format_character_before_is_canceled_by_its_order_id(
    services: Services, engine: AsyncEngine
) -> None:
    order = await paid_order(services, COMPOSED, key="tgen_zwsp")
    async with engine.begin() as connection:
        # As a release before format characters were refused stored it.
        await connection.execute(
            update(OrderRow)
            .where(OrderRow.order_id == order.order_id)
            .values(order_name="Café\u200b 라테")
        )
    with pytest.raises(DomainError) as unnamed:
        await cancel_payment(services, ALICE, _cancel_by(COMPOSED))
    assert unnamed.value.code is ErrorCode.ORDER_NOT_FOUND

    picked = dataclasses.replace(_cancel_by(DECOMPOSED), order_id=order.order_id)
    result = await cancel_payment(services, ALICE, picked)
    assert result.order.status is OrderStatus.CANCELED
    assert result.cancel is not None and result.cancel.cancel_amount == order.amount

    other = dataclasses.replace(_cancel_by("Café 모카"), order_id=order.order_id)
    with pytest.raises(DomainError) as misnamed:
        await cancel_payment(services, ALICE, other)
    assert misnamed.value.code is ErrorCode.ORDER_NOT_FOUND
