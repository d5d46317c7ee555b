"""Waiting for something to happen before a test judges it: a condition polled until it holds,
under a budget that guards against a hang and is no measure of speed."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

import pytest

WAIT_BUDGET_SECONDS = 30.0
POLL_SECONDS = 0.02


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    *,
    within: float = WAIT_BUDGET_SECONDS,
) -> None:
    """Returns once `condition` holds; fails the test, naming `what`, if it never does."""
    deadline = time.monotonic() + within
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {within:g} s")
        await asyncio.sleep(POLL_SECONDS)
