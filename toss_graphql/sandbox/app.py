"""`Sandbox`: the Toss emulator as one ASGI app over its own database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from toss_graphql.sandbox.admin import AdminApi
from toss_graphql.sandbox.api import PaymentsApi
from toss_graphql.sandbox.checkout import CheckoutPages
from toss_graphql.sandbox.config import SandboxConfig
from toss_graphql.sandbox.database import Database
from toss_graphql.sandbox.receipt import ReceiptPages


class Sandbox:
    """Toss's core payment API and hosted checkout, with state in `config.database_url`.

    Served alone, `app` runs its own lifespan. Mounted in another app (whose router does not
    run a mount's lifespan), the host calls `start()` and `close()` from its own lifespan.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._database = Database(config.database_url)
        self.app = Starlette(
            routes=[
                *PaymentsApi(config, self._database).routes(),
                *CheckoutPages(config, self._database).routes(),
                *ReceiptPages(config, self._database).routes(),
                *AdminApi(self._database).routes(),
            ],
            lifespan=self._lifespan,
        )

    async def start(self) -> None:
        """Open the database and create its tables; calling it again does nothing."""
        await self._database.start()

    async def close(self) -> None:
        """Release the database; the sandbox may be started again afterwards."""
        await self._database.close()

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.close()
