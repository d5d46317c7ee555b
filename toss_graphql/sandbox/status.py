"""Payment statuses and the transitions the sandbox allows (toss-api.md §3.2)."""

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


# Statuses of a payment that was approved at some point: its orderId is spent for good.
APPROVED: Final = frozenset(
    {PaymentStatus.DONE, PaymentStatus.CANCELED, PaymentStatus.PARTIAL_CANCELED}
)

# An approved payment with a balance left: the only ones a cancel may touch.
CANCELABLE: Final = frozenset({PaymentStatus.DONE, PaymentStatus.PARTIAL_CANCELED})

# A confirm of a payment in one of these gets ALREADY_PROCESSED_PAYMENT.
PROCESSED: Final = APPROVED | {PaymentStatus.ABORTED}

# Card payments are created already authenticated (IN_PROGRESS) by the hosted checkout,
# so READY is never stored; it stays in the enum because it is part of Toss's vocabulary.
TRANSITIONS: Final[dict[PaymentStatus, frozenset[PaymentStatus]]] = {
    PaymentStatus.IN_PROGRESS: frozenset(
        {PaymentStatus.DONE, PaymentStatus.ABORTED, PaymentStatus.EXPIRED}
    ),
    PaymentStatus.DONE: frozenset({PaymentStatus.CANCELED, PaymentStatus.PARTIAL_CANCELED}),
    PaymentStatus.PARTIAL_CANCELED: frozenset(
        {PaymentStatus.CANCELED, PaymentStatus.PARTIAL_CANCELED}
    ),
}


def check_transition(current: PaymentStatus, target: PaymentStatus) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise ValueError(f"a payment cannot go from {current} to {target}")
