"""The sandbox's status rules that its storage relies on."""

from __future__ import annotations

from toss_sandbox.status import TRANSITIONS, WITH_CANCELS


def test_no_transition_leads_out_of_the_statuses_that_carry_cancels() -> None:
    # A payment is read back without a look at its cancels unless its status is one of
    # WITH_CANCELS (payment_store.py): once canceled in part, it must stay in that set.
    for status in WITH_CANCELS:
        assert TRANSITIONS.get(status, frozenset()) <= WITH_CANCELS
