"""How many subscriptions one caller may hold open in this process."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError


class SubscriptionBudget:
    """Each token subject's open subscriptions, counted per process: a fleet of N processes
    admits up to N times the share, which still bounds what one caller can pin down."""

    def __init__(self, per_subject: int) -> None:
        self.per_subject = per_subject
        self._open: Counter[str] = Counter()

    @contextmanager
    def slot(self, subject: str) -> Iterator[None]:
        if self._open[subject] >= self.per_subject:
            raise GraphQLError(
                f"too many open subscriptions: at most {self.per_subject} per caller",
                extensions={"code": "TOO_MANY_SUBSCRIPTIONS"},
            )
        self._open[subject] += 1
        try:
            yield
        finally:
            self._open[subject] -= 1
            if not self._open[subject]:
                del self._open[subject]

    @property
    def open(self) -> int:
        return self._open.total()
