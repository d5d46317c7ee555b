"""What every /v1 call reads first, in one statement: the sandbox clock's offset, the webhook
URL and the faults in force. They are the state every worker process sharing the database
must agree on (storage/tables.py's `sandbox_state` and `faults`), and a call needs all three before
it does anything else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from toss_sandbox.api.faults import Fault, fault_from_row
from toss_sandbox.clock import SandboxClock
from toss_sandbox.lifecycle.outbox import effective_webhook_url
from toss_sandbox.storage.tables import faults, sandbox_state


@dataclass(frozen=True, slots=True)
class V1State:
    now: datetime
    webhook_url: str | None
    # In the order they are tried (first added first).
    faults: tuple[Fault, ...]


# The state's one row, repeated once per fault (faults are few, and usually none).
_QUERY = (
    select(
        sandbox_state.c.clock_offset_us,
        sandbox_state.c.webhook_url_set,
        sandbox_state.c.webhook_url,
        *faults.c,
    )
    .select_from(sandbox_state.outerjoin(faults, true()))
    .order_by(faults.c.id)
)


async def read_v1_state(
    connection: AsyncConnection, clock: SandboxClock, default_webhook_url: str | None
) -> V1State:
    rows = (await connection.execute(_QUERY)).all()
    if not rows:
        # No state row (it is made with the tables): the defaults.
        return V1State(clock.at_offset(None), default_webhook_url, ())
    first = rows[0]
    return V1State(
        now=clock.at_offset(first.clock_offset_us),
        webhook_url=effective_webhook_url(
            first.webhook_url_set, first.webhook_url, default_webhook_url
        ),
        faults=tuple(fault_from_row(row) for row in rows if row.id is not None),
    )
