"""A Toss client library someone else wrote, pointed at the standalone sandbox by its base URL.

The library is `python-tosspayments` 1.1.0 (PyPI; GisangLee), one of the two Toss clients
toss-api.md §10 lists. Neither can be given another base URL through its constructor or a
public attribute:

- `tosspayments-python-server-sdk` (every release, 1.0.3 to 1.0.6) does keep a public
  `Config.api_base`, but its package `__init__` imports three exception classes its
  `exceptions` module does not define, so `import tosspayments_server_sdk` fails.
- `python-tosspayments` builds every URL from `self.__base_url`, set in `__init__`.

So the least invasive way is taken: the one instance attribute holding the base URL
(`_TossPayments__base_url`, its name-mangled spelling) is set after construction; no code is
replaced. The library raises its own error class, also private (`TossPayments.__HttpError`),
with Toss's code in `error_type` and the HTTP status in `code`. It returns Toss's JSON as a
dict, and sends a cancel's body as given, so the body uses Toss's field names.

The library is built on `requests`, so these tests are synchronous.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Final

import httpx
import pytest
from tosspayments import TossPayments  # type: ignore[import-untyped]

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

# The library's error class; private by name, the only type it raises for Toss's errors.
TossHttpError: Final[type[Exception]] = TossPayments._TossPayments__HttpError


@pytest.fixture
def toss_client(sandbox_target: Target) -> Any:
    client = TossPayments(sandbox_target.secret_key)
    # The library joins this with "v1/payments/...", so it keeps its trailing slash.
    client._TossPayments__base_url = f"{sandbox_target.base_url}/"
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
def paid(toss_client: Any, approved: Order) -> Order:
    toss_client.confirm(approved.payment_key, approved.order_id, CHECKOUT_AMOUNT)
    return approved


def _cancel_amounts(payment: dict[str, Any]) -> list[int]:
    return [cancel["cancelAmount"] for cancel in payment["cancels"]]


def test_library_confirms_an_approved_checkout_as_done(toss_client: Any, approved: Order) -> None:
    payment = toss_client.confirm(approved.payment_key, approved.order_id, CHECKOUT_AMOUNT)

    assert payment["paymentKey"] == approved.payment_key
    assert payment["orderId"] == approved.order_id
    assert payment["status"] == "DONE"
    assert payment["method"] == "카드"
    assert payment["totalAmount"] == CHECKOUT_AMOUNT
    assert payment["balanceAmount"] == CHECKOUT_AMOUNT
    assert payment["approvedAt"] is not None
    assert payment["cancels"] is None


def test_library_retrieves_the_payment_by_payment_key_and_by_order_id(
    toss_client: Any, paid: Order
) -> None:
    by_key = toss_client.get_payment_by_payment_key(paid.payment_key)
    by_order_id = toss_client.get_payment_by_order_id(paid.order_id)

    assert by_key["orderId"] == paid.order_id
    assert by_order_id["paymentKey"] == paid.payment_key
    assert by_key["status"] == by_order_id["status"] == "DONE"
    assert by_key["totalAmount"] == by_order_id["totalAmount"] == CHECKOUT_AMOUNT


def test_library_cancels_partially_then_fully(toss_client: Any, paid: Order) -> None:
    partial = toss_client.cancel(
        paid.payment_key,
        {"cancelReason": CANCEL_REASON, "cancelAmount": PARTIAL_CANCEL_AMOUNT},
    )
    time.sleep(CONSECUTIVE_CANCEL_WINDOW_SECONDS)
    full = toss_client.cancel(paid.payment_key, {"cancelReason": CANCEL_REASON})
    retrieved = toss_client.get_payment_by_payment_key(paid.payment_key)

    rest = CHECKOUT_AMOUNT - PARTIAL_CANCEL_AMOUNT
    assert partial["status"] == "PARTIAL_CANCELED"
    assert partial["balanceAmount"] == rest
    assert _cancel_amounts(partial) == [PARTIAL_CANCEL_AMOUNT]
    assert partial["cancels"][0]["refundableAmount"] == rest
    assert full["status"] == "CANCELED"
    assert full["totalAmount"] == CHECKOUT_AMOUNT
    assert full["balanceAmount"] == 0
    assert _cancel_amounts(full) == [PARTIAL_CANCEL_AMOUNT, rest]
    assert [cancel["refundableAmount"] for cancel in full["cancels"]] == [rest, 0]
    assert retrieved["status"] == "CANCELED"
    assert retrieved["cancels"] == full["cancels"]


def test_library_reports_an_unknown_payment_key_as_not_found_payment_404(
    toss_client: Any,
) -> None:
    with pytest.raises(TossHttpError) as raised:
        toss_client.get_payment_by_payment_key(UNKNOWN_PAYMENT_KEY)

    error: Any = raised.value
    assert error.error_type == "NOT_FOUND_PAYMENT"
    assert error.code == 404
    assert error.reason


def test_library_reports_a_cancel_over_the_balance_as_not_cancelable_amount_403(
    toss_client: Any, paid: Order
) -> None:
    with pytest.raises(TossHttpError) as raised:
        toss_client.cancel(
            paid.payment_key,
            {"cancelReason": CANCEL_REASON, "cancelAmount": CHECKOUT_AMOUNT + 1},
        )

    error: Any = raised.value
    assert error.error_type == "NOT_CANCELABLE_AMOUNT"
    assert error.code == 403


def test_library_reports_a_second_confirm_as_already_processed_payment_400(
    toss_client: Any, paid: Order
) -> None:
    with pytest.raises(TossHttpError) as raised:
        toss_client.confirm(paid.payment_key, paid.order_id, CHECKOUT_AMOUNT)

    error: Any = raised.value
    assert error.error_type == "ALREADY_PROCESSED_PAYMENT"
    assert error.code == 400
