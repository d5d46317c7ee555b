"""The sandbox's status rules that its storage relies on."""

from __future__ import annotations

import pytest

from toss_sandbox.vocabulary.status import (
    TRANSITIONS,
    WITH_CANCELS,
    PaymentMethod,
    PaymentStatus,
    check_transition,
)


def test_no_transition_leads_out_of_the_statuses_that_carry_cancels() -> None:
    # A payment is read back without a look at its cancels unless its status is one of
    # WITH_CANCELS (payment_store.py): once canceled in part, it must stay in that set.
    for status in WITH_CANCELS:
        assert TRANSITIONS.get(status, frozenset()) <= WITH_CANCELS


def test_only_a_virtual_account_goes_back_from_done_to_waiting_for_deposit() -> None:
    # A bank may take a deposit back (toss-api.md §3.2); nothing undoes a card's approval.
    check_transition(
        PaymentStatus.DONE, PaymentStatus.WAITING_FOR_DEPOSIT, PaymentMethod.VIRTUAL_ACCOUNT
    )
    with pytest.raises(ValueError, match="cannot go from DONE to WAITING_FOR_DEPOSIT"):
        check_transition(PaymentStatus.DONE, PaymentStatus.WAITING_FOR_DEPOSIT, PaymentMethod.CARD)
