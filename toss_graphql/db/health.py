"""What the probes and start-up ask of a database: does it answer, and does it hold a catalog."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from .tables import ProductRow


async def answers(engine: AsyncEngine) -> None:
    """Returns once the database has answered a statement; raises what the driver raised."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def active_products(engine: AsyncEngine) -> int:
    query = select(func.count()).select_from(ProductRow).where(ProductRow.active)
    async with engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())
