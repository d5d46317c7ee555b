"""A Toss client library someone else wrote, pointed at the standalone sandbox by its base URL.

The library is `tosspayments-python-server-sdk` 1.0.6 (PyPI; jhwang0801), the Toss client
toss-api.md §10 lists with confirm, retrieve by paymentKey and by orderId, and cancel. Its
`Client` takes no base URL argument; it keeps a public `Config` dataclass (exported by the
package) whose `api_base` field is read by every request, so setting `client.config.api_base`
is the one change, with nothing patched. (`python-tosspayments` 1.1.0 keeps its base URL in
a name-mangled private attribute and raises a private error class, so it was not chosen.)

The library is built on `requests`, so these tests are synchronous.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tosspayments_server_sdk import (  # type: ignore[import-untyped]
    APIError,
    Client,
    PaymentNotFoundError,
)

from tests.contract.cases import (
    CANCEL_REASON,
    CHECKOUT_AMOUNT,
    PARTIAL_CANCEL_AMOUNT,
    UNKNOWN_PAYMENT_KEY,
)
from tests.contract.targets import (
    CONSECUTIVE_CANCEL_WINDOW_SECONDS,
    Order,
    Target,
    approve_checkout,
    new_order_id,
)


@pytest.fixture
def toss_client(sandbox_target: Target) -> Client:
    # No retries: a retried call would hide the sandbox's first answer.
    client = Client(secret_key=sandbox_target.secret_key, timeout=10, max_retries=0)
    client.config.api_base = sandbox_target.base_url
    return client


@pytest.fixture
def buyer(sandbox_target: Target) -> Iterator[httpx.Client]:
    """The buyer's browser, which approves the sandbox's payment window."""
    with httpx.Client(base_url=sandbox_target.base_url, timeout=10) as browser:
        yield browser


@pytest.fixture
def approved(buyer: httpx.Client) -> Order:
    order_id = new_order_id()
    return Order(approve_checkout(buyer, order_id), order_id)


@pytest.fixture
def paid(toss_client: Client, approved: Order) -> Order:
    toss_client.payments.confirm(approved.payment_key, approved.order_id, CHECKOUT_AMOUNT)
    return approved


def _cancel_amounts(payment: Any) -> list[int]:
    return [cancel.cancel_amount for cancel in payment.cancels]


def test_library_confirms_an_approved_checkout_as_done(
    toss_client: Client, approved: Order
) -> None:
    payment = toss_client.payments.confirm(
        approved.payment_key, approved.order_id, CHECKOUT_AMOUNT
    )

    assert payment.payment_key == approved.payment_key
    assert payment.order_id == approved.order_id
    assert payment.status.value == "DONE"
    assert payment.method == "카드"
    assert payment.total_amount == CHECKOUT_AMOUNT
    assert payment.balance_amount == CHECKOUT_AMOUNT
    assert payment.approved_at is not None
    assert payment.cancels == []


def test_library_retrieves_the_payment_by_payment_key_and_by_order_id(
    toss_client: Client, paid: Order
) -> None:
    by_key = toss_client.payments.retrieve(paid.payment_key)
    by_order_id = toss_client.payments.retrieve_by_order_id(paid.order_id)

    assert by_key.order_id == paid.order_id
    assert by_order_id.payment_key == paid.payment_key
    assert by_key.status.value == by_order_id.status.value == "DONE"
    assert by_key.total_amount == by_order_id.total_amount == CHECKOUT_AMOUNT


def test_library_cancels_partially_then_fully(toss_client: Client, paid: Order) -> None:
    partial = toss_client.payments.cancel(
        paid.payment_key, CANCEL_REASON, cancel_amount=PARTIAL_CANCEL_AMOUNT
    )
    time.sleep(CONSECUTIVE_CANCEL_WINDOW_SECONDS)
    full = toss_client.payments.cancel(paid.payment_key, CANCEL_REASON)
    retrieved = toss_client.payments.retrieve(paid.payment_key)

    rest = CHECKOUT_AMOUNT - PARTIAL_CANCEL_AMOUNT
    assert partial.status.value == "PARTIAL_CANCELED"
    assert partial.balance_amount == rest
    assert _cancel_amounts(partial) == [PARTIAL_CANCEL_AMOUNT]
    assert full.status.value == "CANCELED"
    assert full.total_amount == CHECKOUT_AMOUNT
    assert full.balance_amount == 0
    assert _cancel_amounts(full) == [PARTIAL_CANCEL_AMOUNT, rest]
    assert [cancel.cancel_reason for cancel in full.cancels] == [CANCEL_REASON] * 2
    assert retrieved.status.value == "CANCELED"
    assert _cancel_amounts(retrieved) == [PARTIAL_CANCEL_AMOUNT, rest]


def test_library_reports_an_unknown_payment_key_as_not_found_payment_404(
    toss_client: Client,
) -> None:
    with pytest.raises(PaymentNotFoundError) as raised:
        toss_client.payments.retrieve(UNKNOWN_PAYMENT_KEY)

    assert raised.value.error_code == "NOT_FOUND_PAYMENT"
    assert raised.value.status_code == 404


def test_library_reports_a_cancel_over_the_balance_as_not_cancelable_amount_403(
    toss_client: Client, paid: Order
) -> None:
    with pytest.raises(APIError) as raised:
        toss_client.payments.cancel(
            paid.payment_key, CANCEL_REASON, cancel_amount=CHECKOUT_AMOUNT + 1
        )

    assert raised.value.error_code == "NOT_CANCELABLE_AMOUNT"
    assert raised.value.status_code == 403


def test_library_reports_a_second_confirm_as_already_processed_payment_400(
    toss_client: Client, paid: Order
) -> None:
    with pytest.raises(APIError) as raised:
        toss_client.payments.confirm(paid.payment_key, paid.order_id, CHECKOUT_AMOUNT)

    assert raised.value.error_code == "ALREADY_PROCESSED_PAYMENT"
    assert raised.value.status_code == 400
