"""How a sandbox is set up: its database, its keys, where it is reachable, its clock,
where its webhooks go and whether its admin endpoints exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

Clock = Callable[[], datetime]


# The sandbox's well-known test key: a public key, not a secret, since the sandbox moves no money.
PUBLIC_TEST_SECRET_KEY = "test_sk_sandbox"  # noqa: S105
# And its payment widget's: a widget checkout is confirmed with this one
# (vocabulary/integrations.py).
PUBLIC_TEST_WIDGET_SECRET_KEY = "test_gsk_sandbox"  # noqa: S105


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Settings of one sandbox.

    `secret_key` is the key of Toss's "API 개별 연동" set, `widget_secret_key` the payment
    widget's; the API takes either, and a confirm needs the one of the set whose client key
    opened the window.

    `client_key=None` accepts any `test_ck_`/`test_gck_` key, as any test key of a merchant
    would open Toss's payment window. `public_base_url=None` derives the base of the URLs
    the sandbox hands out (`checkout.url`, `receipt.url`) from each request. `clock`, when
    given, returns an aware UTC datetime; the offset moved by `POST /admin/clock` is added
    to it (to the real clock without it).

    `webhook_url` is where webhooks go until `PUT /admin/webhook` says otherwise.
    `webhook_poll_seconds` is how often a background task sends the webhooks that are due
    (None: only `POST /admin/webhooks/deliver` sends them). `webhook_transport` replaces the
    network for webhook deliveries (an `httpx.MockTransport` in tests). `admin_enabled=False`
    turns every `/admin/*` route into a 404.
    """

    database_url: str
    secret_key: str = PUBLIC_TEST_SECRET_KEY
    widget_secret_key: str = PUBLIC_TEST_WIDGET_SECRET_KEY
    client_key: str | None = None
    public_base_url: str | None = None
    clock: Clock | None = None
    webhook_url: str | None = None
    webhook_poll_seconds: float | None = 0.2
    webhook_transport: httpx.AsyncBaseTransport | None = None
    admin_enabled: bool = True

    @property
    def secret_keys(self) -> tuple[str, str]:
        return (self.secret_key, self.widget_secret_key)

    def now(self) -> datetime:
        """The base clock, without the offset the sandbox's database keeps (see clock.py)."""
        if self.clock is None:
            return datetime.now(UTC)
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the sandbox clock must return an aware datetime")
        return now.astimezone(UTC)
