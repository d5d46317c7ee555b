"""The sandbox's clock: the real one (or `SandboxConfig.clock`) plus an offset kept in the
database, so every worker process sharing the database moves together.

Every time rule reads it: the 30-minute window, the 10-minute confirm window, the one-second
cancel rule, idempotency retention, virtual-account due dates and the webhook schedule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.config import SandboxConfig
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.tables import sandbox_state

_OFFSET: Final = select(sandbox_state.c.clock_offset_us)


def _offset(microseconds: int) -> timedelta:
    return timedelta(microseconds=microseconds)


class SandboxClock:
    def __init__(self, config: SandboxConfig, database: Database) -> None:
        self._config = config
        self._database = database

    async def now(self) -> datetime:
        async with self._database.read() as connection:
            return await self.now_in(connection)

    async def now_in(self, connection: AsyncConnection) -> datetime:
        """The time, read in a transaction the caller already holds."""
        return self._config.now() + await self.offset_in(connection)

    def at_offset(self, offset_us: int | None) -> datetime:
        """The time, given the offset the caller read from `sandbox_state` itself."""
        return self._config.now() + _offset(offset_us or 0)

    @staticmethod
    async def offset_in(connection: AsyncConnection) -> timedelta:
        stored = await connection.scalar(_OFFSET)
        return _offset(stored or 0)

    async def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        async with self._database.write() as connection:
            await connection.execute(
                update(sandbox_state).values(
                    clock_offset_us=sandbox_state.c.clock_offset_us + delta // _offset(1)
                )
            )

    async def reset(self) -> None:
        async with self._database.write() as connection:
            await connection.execute(update(sandbox_state).values(clock_offset_us=0))
