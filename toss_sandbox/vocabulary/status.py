"""Payment statuses, methods and the transitions the sandbox allows (toss-api.md §3.2)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class PaymentStatus(StrEnum):
    READY = "READY"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_FOR_DEPOSIT = "WAITING_FOR_DEPOSIT"
    DONE = "DONE"
    CANCELED = "CANCELED"
    PARTIAL_CANCELED = "PARTIAL_CANCELED"
    ABORTED = "ABORTED"
    EXPIRED = "EXPIRED"


class PaymentMethod(StrEnum):
    """The methods the sandbox's window offers, by the en-US values of Toss's `method`
    (toss-api.md §3; `간편결제` is `EASY_PAY`)."""

    CARD = "CARD"
    VIRTUAL_ACCOUNT = "VIRTUAL_ACCOUNT"
    TRANSFER = "TRANSFER"
    MOBILE_PHONE = "MOBILE_PHONE"
    EASY_PAY = "EASY_PAY"


# Statuses of a payment that was approved at some point.
APPROVED: Final = frozenset(
    {PaymentStatus.DONE, PaymentStatus.CANCELED, PaymentStatus.PARTIAL_CANCELED}
)

# Statuses of a confirmed payment: its orderId is spent for good. A virtual account waiting
# for its deposit holds the order too.
CONFIRMED: Final = APPROVED | {PaymentStatus.WAITING_FOR_DEPOSIT}

# A confirm of a payment in one of these gets ALREADY_PROCESSED_PAYMENT.
PROCESSED: Final = CONFIRMED | {PaymentStatus.ABORTED}

# The statuses a cancel may touch: approved with a balance left, or a virtual account
# before its deposit (toss-api.md §2.4: then a full cancel only).
CANCELABLE: Final = frozenset(
    {PaymentStatus.DONE, PaymentStatus.PARTIAL_CANCELED, PaymentStatus.WAITING_FOR_DEPOSIT}
)

# The only statuses a payment with cancels can have: a cancel moves the payment to one of
# them, and neither leads anywhere else. A payment in any other status has no cancels, so
# reading it back needs no look at its cancels.
WITH_CANCELS: Final = frozenset({PaymentStatus.CANCELED, PaymentStatus.PARTIAL_CANCELED})

# Toss sends PAYMENT_STATUS_CHANGED on these, never on READY or IN_PROGRESS (toss-api.md §3.2).
NOTIFIED: Final = frozenset(
    {
        PaymentStatus.WAITING_FOR_DEPOSIT,
        PaymentStatus.DONE,
        PaymentStatus.CANCELED,
        PaymentStatus.PARTIAL_CANCELED,
        PaymentStatus.ABORTED,
        PaymentStatus.EXPIRED,
    }
)

TRANSITIONS: Final[dict[PaymentStatus, frozenset[PaymentStatus]]] = {
    # READY: the window is open (GET /checkout); the buyer has not authenticated yet.
    PaymentStatus.READY: frozenset({PaymentStatus.IN_PROGRESS, PaymentStatus.EXPIRED}),
    PaymentStatus.IN_PROGRESS: frozenset(
        {
            PaymentStatus.DONE,
            PaymentStatus.WAITING_FOR_DEPOSIT,
            PaymentStatus.ABORTED,
            PaymentStatus.EXPIRED,
        }
    ),
    PaymentStatus.WAITING_FOR_DEPOSIT: frozenset({PaymentStatus.DONE, PaymentStatus.CANCELED}),
    PaymentStatus.DONE: frozenset(
        {
            PaymentStatus.CANCELED,
            PaymentStatus.PARTIAL_CANCELED,
            PaymentStatus.WAITING_FOR_DEPOSIT,
        }
    ),
    PaymentStatus.PARTIAL_CANCELED: frozenset(
        {PaymentStatus.CANCELED, PaymentStatus.PARTIAL_CANCELED}
    ),
}


# Transitions only a virtual account makes: the bank takes a deposit back (the sender's
# transfer limit, a network fault) and the account waits for the money again (toss-api.md
# §3.2). A card's approval is never undone that way.
VIRTUAL_ACCOUNT_ONLY: Final = frozenset({(PaymentStatus.DONE, PaymentStatus.WAITING_FOR_DEPOSIT)})


def check_transition(
    current: PaymentStatus, target: PaymentStatus, method: PaymentMethod | None
) -> None:
    if target not in TRANSITIONS.get(current, frozenset()) or (
        (current, target) in VIRTUAL_ACCOUNT_ONLY and method is not PaymentMethod.VIRTUAL_ACCOUNT
    ):
        raise ValueError(f"a {method} payment cannot go from {current} to {target}")
