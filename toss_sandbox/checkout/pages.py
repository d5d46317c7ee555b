"""The HTML the sandbox shows a person: checkout, error and receipt pages.

Plain server-rendered pages with no script, so they work with any browser or test client;
every value is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from string import Template
from typing import Final

from starlette.responses import HTMLResponse

from toss_sandbox.checkout.form import CheckoutOrder, WindowDefaults
from toss_sandbox.i18n import Language
from toss_sandbox.kst import isoformat_kst
from toss_sandbox.storage.payment_store import Payment
from toss_sandbox.vocabulary.errors import TossApiError
from toss_sandbox.vocabulary.methods import CHOICES, PROVIDER_NAMES

# The pages carry no script and post only to the sandbox; the checkout form's answer then
# redirects to the merchant's own success or fail URL.
_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


@cache
def _template(name: str) -> Template:
    return Template(
        files("toss_sandbox.checkout").joinpath("templates", name).read_text(encoding="utf-8")
    )


def _page(
    title: str,
    template: str,
    status_code: int,
    markup: Mapping[str, str] | None = None,
    **values: str,
) -> HTMLResponse:
    """The page; `values` are escaped, `markup` is HTML built here from escaped values."""
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    body = _template(template).substitute(escaped, **(markup or {}))
    document = _template("page.html").substitute(title=html.escape(title), body=body)
    return HTMLResponse(document, status_code=status_code, headers=_HEADERS)


def won(amount: int) -> str:
    return f"{amount:,}원"


def _method_options(defaults: WindowDefaults) -> str:
    return "\n".join(
        f'<label><input type="radio" name="method" value="{html.escape(choice.code)}"'
        f"{' checked' if choice == defaults.choice else ''}> {html.escape(choice.label)}</label>"
        for choice in CHOICES
    )


def checkout_page(order: CheckoutOrder, payment_key: str, defaults: WindowDefaults) -> HTMLResponse:
    """The window for `order`; `payment_key` names its READY payment ("" when none)."""
    return _page(
        f"결제하기 · {order.order_name}",
        "checkout.html",
        200,
        {"method_options": _method_options(defaults)},
        customer_mobile_phone=defaults.customer_mobile_phone,
        customer_name=defaults.customer_name,
        payment_key=payment_key,
        client_key=order.client_key,
        order_id=order.order_id,
        order_name=order.order_name,
        amount=str(order.amount),
        amount_text=won(order.amount),
        success_url=order.success_url,
        fail_url=order.fail_url,
    )


def error_page(error: TossApiError, status_code: int) -> HTMLResponse:
    return _page(
        f"결제 오류 · {error.code}",
        "error.html",
        status_code,
        code=error.code,
        message_ko=error.message(Language.KO),
        message_en=error.message(Language.EN),
    )


def _instrument(payment: Payment) -> tuple[str, str]:
    if payment.virtual_account is not None:
        return "가상계좌 · Virtual account", payment.virtual_account.account_number
    if payment.card is not None:
        return "카드번호 · Card", payment.card.number
    if payment.easy_pay_provider is not None:
        return "간편결제 · Easy pay", PROVIDER_NAMES[payment.easy_pay_provider]
    if payment.transfer_bank_code is not None:
        return "계좌이체 · Transfer", f"은행 코드 {payment.transfer_bank_code}"
    if payment.customer_mobile_phone is not None:
        return "휴대폰 · Mobile phone", payment.customer_mobile_phone
    return "결제수단 · Method", ""


def receipt_page(payment: Payment) -> HTMLResponse:
    approved_at = "" if payment.approved_at is None else isoformat_kst(payment.approved_at)
    instrument_label, instrument = _instrument(payment)
    return _page(
        f"매출전표 · {payment.order_name}",
        "receipt.html",
        200,
        order_name=payment.order_name,
        order_id=payment.order_id,
        instrument_label=instrument_label,
        instrument=instrument,
        approve_no="" if payment.card is None else payment.card.approve_no or "",
        approved_at=approved_at,
        status=payment.status.value,
        amount_text=won(payment.total_amount),
        balance_text=won(payment.balance_amount),
    )
