"""`Sandbox`: the Toss emulator as one ASGI app over its own database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from toss_sandbox.admin.routes import AdminApi, disabled_routes
from toss_sandbox.admin.virtual_accounts import VirtualAccountAdmin
from toss_sandbox.admin.webhooks import WebhookAdmin
from toss_sandbox.api.hangs import Hangs
from toss_sandbox.api.routes import PaymentsApi
from toss_sandbox.api.v1_pipeline import V1Pipeline
from toss_sandbox.background import DueWork, Ticker
from toss_sandbox.checkout.receipt import ReceiptPages
from toss_sandbox.checkout.sdk import SdkScripts
from toss_sandbox.checkout.window import CheckoutPages
from toss_sandbox.clock import SandboxClock
from toss_sandbox.config import SandboxConfig
from toss_sandbox.lifecycle.outbox import Outbox
from toss_sandbox.storage.database import Database
from toss_sandbox.webhook_delivery import WebhookSender


class Sandbox:
    """Toss's core payment API and hosted checkout, with state in `config.database_url`.

    Served alone, `app` runs its own lifespan. Mounted in another app (whose router does not
    run a mount's lifespan), the host calls `start()` and `close()` from its own lifespan.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._database = Database(config.database_url)
        clock = SandboxClock(config, self._database)
        outbox = Outbox(config)
        self._hangs = Hangs()
        self._sender = WebhookSender(self._database, config.webhook_transport)
        self._due_work = DueWork(self._database, clock, outbox, self._sender)
        self._ticker = (
            None
            if config.webhook_poll_seconds is None
            else Ticker(config.webhook_poll_seconds, self._due_work.run)
        )
        pipeline = V1Pipeline(config, self._database, clock, outbox, self._hangs)
        admin: list[BaseRoute] = (
            AdminApi(
                self._database,
                clock,
                WebhookAdmin(config, self._database, self._due_work),
                VirtualAccountAdmin(config, self._database, clock, outbox),
            ).routes()
            if config.admin_enabled
            else disabled_routes()
        )
        self.app = Starlette(
            routes=[
                # Before the API's: its catch-all under /v1/ answers Toss's NOT_FOUND.
                *SdkScripts(config).routes(),
                *PaymentsApi(config, pipeline).routes(),
                *CheckoutPages(config, self._database, clock, outbox).routes(),
                *ReceiptPages(self._database, clock, outbox).routes(),
                *admin,
            ],
            lifespan=self._lifespan,
        )

    async def start(self) -> None:
        """Open the database, create its tables and start the background work; calling it
        again does nothing."""
        await self._database.start()
        self._hangs.open()
        if self._ticker is not None:
            self._ticker.start()

    async def close(self) -> None:
        """Stop the background work, let go of held requests and release the database and
        the webhook client; the sandbox may be started again afterwards."""
        if self._ticker is not None:
            await self._ticker.close()
        self._hangs.release_all()
        await self._sender.close()
        await self._database.close()

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.close()
