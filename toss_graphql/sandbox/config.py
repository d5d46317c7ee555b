"""How a sandbox is set up: its database, its keys, where it is reachable, its clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Settings of one sandbox.

    `client_key=None` accepts any `test_ck_`/`test_gck_` key, as any test key of a merchant
    would open Toss's payment window. `public_base_url=None` derives the base of the URLs
    the sandbox hands out (`checkout.url`, `receipt.url`) from each request. `clock`, when
    given, returns an aware UTC datetime; tests move it to cross Toss's time limits.
    """

    database_url: str
    secret_key: str = "test_sk_sandbox"  # noqa: S105 (a public test key, not a secret)
    client_key: str | None = None
    public_base_url: str | None = None
    clock: Clock | None = None

    def now(self) -> datetime:
        if self.clock is None:
            return datetime.now(UTC)
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the sandbox clock must return an aware datetime")
        return now.astimezone(UTC)
