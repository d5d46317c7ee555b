"""The GraphQL Payment shows the domain's typed virtual account; it reads no Toss JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from toss_graphql.domain import models
from toss_graphql.domain.ports.gateway import TossPaymentStatus, VirtualAccount
from toss_graphql.schema import types


def payment(account: VirtualAccount | None, raw: dict[str, object]) -> models.Payment:
    return models.Payment(
        payment_key="tgen_va",
        order_id="order-0001",
        method="가상계좌",
        total_amount=10000,
        balance_amount=10000,
        toss_status=TossPaymentStatus.WAITING_FOR_DEPOSIT,
        approved_at=datetime(2026, 11, 22, tzinfo=UTC),
        receipt_url=None,
        virtual_account=account,
        raw=raw,
    )


def test_a_payment_shows_its_virtual_account() -> None:
    account = VirtualAccount("X1234", bank_code="20", customer_name="김토스", due_date=None)
    shown = types.Payment.from_domain(payment(account, {}))
    assert shown.virtual_account is not None
    assert (
        shown.virtual_account.account_number,
        shown.virtual_account.bank_code,
        shown.virtual_account.customer_name,
        shown.virtual_account.due_date,
    ) == ("X1234", "20", "김토스", None)


def test_the_account_comes_from_the_record_not_from_tosss_json() -> None:
    raw: dict[str, object] = {"virtualAccount": {"accountNumber": "X-raw-only"}}
    assert types.Payment.from_domain(payment(None, raw)).virtual_account is None
