"""How many WebSockets one caller, and one client address, may hold open in this process."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .rate_limit import DEFAULT_IPV6_PREFIX


class SocketTally:
    """Open sockets per key, at most `cap` each: a socket's place is taken when it is
    admitted and given back when it closes."""

    def __init__(self, cap: int) -> None:
        if cap < 1:
            raise ValueError("a cap on open sockets must be at least 1")
        self.cap = cap
        self._open: Counter[str] = Counter()

    def take(self, key: str) -> bool:
        """Whether `key` had a place left (now taken)."""
        if self._open[key] >= self.cap:
            return False
        self._open[key] += 1
        return True

    def give_back(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]

    @property
    def open(self) -> int:
        return self._open.total()


@dataclass(frozen=True)
class OpenSockets:
    """Each token subject's (SUBSCRIPTION_CONNECTIONS_PER_SUBJECT) and each client address
    bucket's (SUBSCRIPTION_CONNECTIONS_PER_ADDRESS) open WebSockets, counted per process as
    subscriptions are (web/subscription_budget.py). An acknowledged socket costs the server a
    file descriptor and its buffers for as long as pings keep it alive."""

    per_subject: SocketTally
    per_address: SocketTally
    ipv6_prefix: int = DEFAULT_IPV6_PREFIX
